"""Sending the sandbox's events to the webhook endpoint the way Stripe does: a POST of
the event's JSON with ``Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "t.body"
keyed with the endpoint's secret>``, again later until the endpoint answers 2xx."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from payments.sandbox.mode import webhook_secret
from payments.sandbox.models import SandboxEvent

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
TIMEOUT_S = 10
# The endpoint is this site (SITE_URL): never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class DeliveryFailed(Exception):
    """The endpoint did not answer 2xx: Stripe tries again later, and so do we."""


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header for ``payload``, as Stripe computes it."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def webhook_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("api-stripe-webhook")


def event_deliver(*, event_id: str) -> int:
    """POST the stored event once, signed now; returns the endpoint's status. Raises
    DeliveryFailed (after recording why) when it was not a 2xx."""
    event = SandboxEvent.objects.get(pk=event_id)
    payload = json.dumps(event.payload, indent=2).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": signature_header(payload, webhook_secret()),
        "User-Agent": USER_AGENT,
    }
    SandboxEvent.objects.filter(pk=event_id).update(attempts=F("attempts") + 1)
    post = urllib.request.Request(webhook_url(), payload, headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(post, timeout=TIMEOUT_S) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        SandboxEvent.objects.filter(pk=event_id).update(last_error=str(exc)[:300])
        raise DeliveryFailed(f"{event.type} {event_id}: {exc}") from exc
    ok = 200 <= status < 300
    SandboxEvent.objects.filter(pk=event_id).update(
        last_status=status,
        last_error="" if ok else body.decode(errors="replace")[:300],
        **({"delivered_at": timezone.now()} if ok else {}),
    )
    if not ok:
        raise DeliveryFailed(f"{event.type} {event_id}: the endpoint answered {status}")
    return status
