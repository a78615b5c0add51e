"""Every call Cocreate makes to Stripe, in one place. It takes a ``stripe.StripeClient``
and passes our own idempotency keys, so a retried task never creates a second object.
Production talks to api.stripe.com; tests point ``STRIPE_API_BASE`` at a loopback fake;
with no key configured (test mode) the key and base address are the payments
sandbox's (payments/sandbox/). Nothing here knows which one it is talking to."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import stripe
from django.conf import settings

from payments.sandbox.mode import (
    sandbox_active,
    sandbox_api_base,
    sandbox_api_key,
    webhook_secret,
)

# Errors after which the same call, with the same idempotency key, may succeed: the
# network or a timeout (APIConnectionError), a 5xx (APIError) and rate limiting (429,
# RateLimitError). stripe-python retries the first two itself (max_network_retries)
# but not a 429 unless Stripe sends ``Stripe-Should-Retry: true``; money tasks retry
# all three at the Celery level (payments/tasks.py), with the same business key.
TRANSIENT_STRIPE_ERRORS = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)

# Stripe's tolerance for a webhook signature's timestamp, in seconds; we apply it both
# ways (see StripeGateway.webhook_event).
WEBHOOK_TOLERANCE_S = 300
_SIGNED_AT = re.compile(r"(?:^|,)\s*t=(\d{1,12})\s*(?:,|$)")


class WebhookInvalid(ValueError):
    """A webhook delivery that is refused: why, in our words."""


def stripe_client() -> stripe.StripeClient:
    """The client for the configured Stripe account (key and base address from settings).

    Every POST carries our idempotency key, so the SDK's own retries (network errors,
    timeouts, 409 and 5xx, with back-off) cannot create a second object. The timeout is
    ours, not the SDK's 80 s: a web request waiting on Stripe must give up well before
    the browser does."""
    if sandbox_active():
        key, base = sandbox_api_key(), sandbox_api_base()
    else:
        key, base = settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE
    return stripe.StripeClient(
        key,
        base_addresses={"api": base} if base else {},
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_S),
    )


class StripeGateway:
    def __init__(self, client: stripe.StripeClient):
        self.client = client

    @classmethod
    def from_settings(cls) -> StripeGateway:
        return cls(stripe_client())

    # --- Connect ----------------------------------------------------------------------

    def account_create(
        self, *, key: str, email: str, country: str, metadata: dict[str, str]
    ) -> Any:
        return self.client.v1.accounts.create(
            {
                "type": "express",
                "email": email,
                "country": country,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": metadata,
            },
            {"idempotency_key": key},
        )

    def account_retrieve(self, account_id: str) -> Any:
        return self.client.v1.accounts.retrieve(account_id)

    def account_link_create(
        self, *, key: str, account_id: str, refresh_url: str, return_url: str
    ) -> Any:
        return self.client.v1.account_links.create(
            {
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            },
            {"idempotency_key": key},
        )

    # --- Checkout (licence fees and tips) ------------------------------------------------

    def checkout_session_create(
        self,
        *,
        key: str,
        amount: int,
        currency: str,
        name: str,
        success_url: str,
        cancel_url: str,
        transfer_group: str,
        metadata: dict[str, str],
        customer_email: str = "",
    ) -> Any:
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": name},
                    },
                }
            ],
            "payment_intent_data": {"transfer_group": transfer_group, "metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
        }
        if customer_email:
            params["customer_email"] = customer_email
        return self.client.v1.checkout.sessions.create(params, {"idempotency_key": key})

    def checkout_session_retrieve(self, session_id: str) -> Any:
        return self.client.v1.checkout.sessions.retrieve(session_id)

    def payment_intent_retrieve(
        self, payment_intent_id: str, *, expand_charge: bool = False
    ) -> Any:
        params = {"expand": ["latest_charge"]} if expand_charge else {}
        return self.client.v1.payment_intents.retrieve(payment_intent_id, params)

    # --- Money out ----------------------------------------------------------------------

    def transfer_create(
        self,
        *,
        key: str,
        amount: int,
        currency: str,
        destination: str,
        transfer_group: str = "",
        source_transaction: str = "",
        metadata: dict[str, str],
    ) -> Any:
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "destination": destination,
            "metadata": metadata,
        }
        if transfer_group:
            params["transfer_group"] = transfer_group
        if source_transaction:
            params["source_transaction"] = source_transaction
        return self.client.v1.transfers.create(params, {"idempotency_key": key})

    def transfer_retrieve(self, transfer_id: str) -> Any:
        return self.client.v1.transfers.retrieve(transfer_id)

    def transfer_reversal_create(
        self, *, key: str, transfer_id: str, amount: int, metadata: dict[str, str]
    ) -> Any:
        return self.client.v1.transfers.reversals.create(
            transfer_id, {"amount": amount, "metadata": metadata}, {"idempotency_key": key}
        )

    def refund_create(self, *, key: str, payment_intent: str, amount: int | None = None) -> Any:
        params: dict[str, Any] = {"payment_intent": payment_intent}
        if amount is not None:
            params["amount"] = amount
        return self.client.v1.refunds.create(params, {"idempotency_key": key})

    def balance_retrieve(self) -> Any:
        return self.client.v1.balance.retrieve()

    # --- Webhooks -----------------------------------------------------------------------

    @staticmethod
    def webhook_event(*, payload: bytes, signature: str, now: float | None = None) -> Any:
        """Verify the signature, then parse the body (JSON, not yet known to be an event).
        The signed timestamp must lie within Stripe's tolerance of now on either side:
        stripe-python refuses only stale ones, and an event signed for a time far ahead
        is no fresher than one replayed from the past. Raises WebhookInvalid, whose
        message is ours."""
        secret = webhook_secret()
        if not secret:
            raise WebhookInvalid("invalid signature: no webhook secret is configured")
        found = _SIGNED_AT.search(signature or "")
        if found is None:
            raise WebhookInvalid("invalid signature: the Stripe-Signature header has no t=")
        skew = int(found.group(1)) - (time.time() if now is None else now)
        if abs(skew) > WEBHOOK_TOLERANCE_S:
            when = "ahead of" if skew > 0 else "behind"
            raise WebhookInvalid(
                f"invalid signature: its timestamp is {round(abs(skew))} s {when} our clock "
                f"(at most {WEBHOOK_TOLERANCE_S} s either way)"
            )
        try:
            text = payload.decode("utf-8")
            stripe.WebhookSignature.verify_header(
                text, signature, secret, tolerance=WEBHOOK_TOLERANCE_S
            )
            return json.loads(text)
        except stripe.SignatureVerificationError as exc:
            raise WebhookInvalid("invalid signature: no v1 signature matches the body") from exc
        except ValueError as exc:  # not UTF-8, or not JSON
            raise WebhookInvalid("invalid payload: the body is not JSON") from exc


def stripe_gateway() -> StripeGateway:
    """The Stripe gateway the settings configure."""
    return StripeGateway.from_settings()
