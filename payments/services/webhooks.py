"""Stripe webhooks: receive (verify, store once, with its handling written to the
outbox in the same transaction) and handle (dispatch each stored event to the flow it
concerns)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import outbox
from payments.models import Payout, StripeEvent
from payments.services import payouts
from payments.services.checkout import checkout_completed, checkout_expired
from payments.services.connect import connect_account_sync
from payments.services.reversals import CLAWBACK_PURPOSE, charge_disputed, charge_refunded
from payments.services.wallet import wallet_top_up_reverse
from payments.stripe_gateway import StripeGateway, WebhookInvalid

# How long an event that was never handled is sent again (Stripe retries for 3 days).
WEBHOOK_RESEND_FOR = timedelta(days=3)
_ID_MAX: int = StripeEvent._meta.get_field("id").max_length or 255
_TYPE_MAX: int = StripeEvent._meta.get_field("type").max_length or 100


class WebhookRejected(Exception):
    """A delivery refused before anything was stored; the message says why."""


def _event_shape(event: Any) -> tuple[str, str]:
    """The event's id and type, when it is an event this endpoint can store and hand to
    a handler: else WebhookRejected (a signed but malformed body is still refused)."""
    if not isinstance(event, dict):
        raise WebhookRejected("invalid event: not a JSON object")
    event_id, event_type, data = event.get("id"), event.get("type"), event.get("data")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= _ID_MAX:
        raise WebhookRejected(f"invalid event: id must be a string of 1 to {_ID_MAX} characters")
    if not isinstance(event_type, str) or not 0 < len(event_type) <= _TYPE_MAX:
        raise WebhookRejected(
            f"invalid event: type must be a string of 1 to {_TYPE_MAX} characters"
        )
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise WebhookRejected("invalid event: data.object must be an object")
    return event_id, event_type


def webhook_receive(*, payload: bytes, signature: str) -> tuple[StripeEvent, bool]:
    """Verify the signature (its timestamp within Stripe's tolerance either way), store
    the event by its id and its handling in the outbox, in one transaction: once this
    returns, the handling runs, even if the broker is down now (the relay sends it when
    the broker is back). A duplicate delivery returns the stored event with
    created=False and enqueues nothing, so a replayed event moves nothing twice."""
    try:
        body = StripeGateway.webhook_event(payload=payload, signature=signature)
    except WebhookInvalid as exc:
        raise WebhookRejected(str(exc)) from exc
    event_id, event_type = _event_shape(body)
    existing = StripeEvent.objects.filter(pk=event_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(id=event_id, type=event_type, payload=body)
            _enqueue(stored.pk)
    except IntegrityError:
        return StripeEvent.objects.get(pk=event_id), False
    return stored, True


def _enqueue(event_id: str) -> None:
    # By name: payments/tasks.py calls these services, so it is not imported here.
    outbox.enqueue("payments.webhook_handle", [event_id])


def webhooks_unhandled_resend(*, batch: int = 100) -> int:
    """Send again the handling of events stored ``WEBHOOK_LEASE_SECONDS`` ago or more and
    still not handled: their message was published, then lost (a broker restarted
    without its data), or the handling failed. The handling is idempotent. Like
    Stripe's own retries, this gives up on an event after three days. Returns how
    many were sent."""
    now = timezone.now()
    stale = list(
        StripeEvent.objects.filter(
            processed_at__isnull=True,
            received_at__lt=now - timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS),
            received_at__gte=now - WEBHOOK_RESEND_FOR,
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:batch]
    )
    with transaction.atomic():
        for event_id in stale:
            _enqueue(event_id)
    return len(stale)


def _checkout_completed(obj: dict, gateway) -> str:
    local = checkout_completed(session_id=obj["id"], gateway=gateway)
    return f"checkout {local.status if local else 'unknown'}"


def _checkout_expired(obj: dict, gateway) -> str:
    local = checkout_expired(session_id=obj["id"])
    return f"checkout {local.status if local else 'unknown'}"


def _account_updated(obj: dict, gateway) -> str:
    connected = connect_account_sync(stripe_account_id=obj["id"], gateway=gateway)
    return (
        f"account payouts_enabled={connected.payouts_enabled}" if connected else "unknown account"
    )


def _transfer_paid(obj: dict, gateway) -> str:
    payout = payouts.payout_confirm(
        transfer_id=obj["id"], payout_id=(obj.get("metadata") or {}).get("payout_id", "")
    )
    return f"payout {payout.status}" if payout else "unknown transfer"


def _transfer_reversed(obj: dict, gateway) -> str:
    payout = Payout.objects.filter(stripe_transfer_id=obj["id"]).first()
    if payout is None:
        return "unknown transfer"
    # Our own clawbacks (a refund after the payout) are not a failed payout, and their
    # webhook may arrive before the clawback is in our ledger: tell them apart by the
    # metadata we give them, not by what the ledger holds yet.
    transfer = gateway.transfer_retrieve(obj["id"])
    ours = sum(
        r.amount
        for r in transfer.reversals.data
        if (r.metadata or {}).get("purpose") == CLAWBACK_PURPOSE
    )
    if ours and transfer.amount_reversed - ours <= 0:
        return "our own clawback"
    if transfer.amount_reversed - ours >= payout.amount and payout.status != "failed":
        payouts.payout_fail(payout_id=payout.pk, reason="The transfer was reversed by Stripe.")
    return f"payout {payout.status}"


def _charge_refunded(obj: dict, gateway) -> str:
    intent = obj.get("payment_intent") or ""
    if charge_refunded(payment_intent_id=intent, gateway=gateway):
        return "refund reversed"
    if intent and wallet_top_up_reverse(payment_intent_id=intent, reason="refund"):
        return "top-up refund reversed"
    return "unknown charge"


def _charge_disputed(obj: dict, gateway) -> str:
    intent = obj.get("payment_intent") or ""
    if charge_disputed(payment_intent_id=intent, dispute_id=obj["id"], gateway=gateway):
        return "chargeback reversed"
    if intent and wallet_top_up_reverse(payment_intent_id=intent, reason="chargeback"):
        return "top-up chargeback reversed"
    return "unknown charge"


# Each Stripe event type we act on, and its handler (given the event's object).
HANDLERS: dict[str, Callable[[dict, Any], str]] = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.expired": _checkout_expired,
    "account.updated": _account_updated,
    "transfer.created": _transfer_paid,
    "transfer.paid": _transfer_paid,
    "transfer.reversed": _transfer_reversed,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _charge_disputed,
}


def webhook_handle(*, event: dict, gateway) -> str:
    """Handle one stored Stripe event. Returns a short result for the event log; an
    unknown type is acknowledged and ignored, and so is an object without an id."""
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return "ignored"
    obj = event["data"]["object"]
    if not isinstance(obj.get("id"), str) or not obj["id"]:
        return "ignored: the object has no id"
    return handler(obj, gateway)
