"""Stripe webhooks: receive (verify, store once, enqueue the handling on commit) and
handle (dispatch each stored event to the flow it concerns)."""

import json
from collections.abc import Callable
from typing import Any

import stripe
from celery import signature as task_signature
from django.db import IntegrityError, transaction

from payments.models import Payout, StripeEvent
from payments.services import payouts
from payments.services.checkout import checkout_completed, checkout_expired
from payments.services.connect import connect_account_sync
from payments.services.reversals import CLAWBACK_PURPOSE, charge_disputed, charge_refunded
from payments.stripe_gateway import StripeGateway


class WebhookRejected(Exception):
    pass


def webhook_receive(*, payload: bytes, signature: str) -> tuple[StripeEvent, bool]:
    """Verify the signature (Stripe's tolerance), store the event by its id, and
    enqueue its handling once the row is committed. A duplicate delivery returns the
    stored event with created=False and enqueues nothing."""
    try:
        event = StripeGateway.webhook_event(payload=payload, signature=signature)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise WebhookRejected(str(exc)) from exc
    existing = StripeEvent.objects.filter(pk=event["id"]).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(
                id=event["id"], type=event["type"], payload=json.loads(payload)
            )
            transaction.on_commit(lambda: _enqueue(stored.pk))
    except IntegrityError:
        return StripeEvent.objects.get(pk=event["id"]), False
    return stored, True


def _enqueue(event_id: str) -> None:
    # By name: payments/tasks.py calls these services, so it is not imported here.
    task_signature("payments.webhook_handle", args=(event_id,)).apply_async()


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
    found = charge_refunded(payment_intent_id=obj.get("payment_intent") or "", gateway=gateway)
    return "refund reversed" if found else "unknown charge"


def _charge_disputed(obj: dict, gateway) -> str:
    found = charge_disputed(
        payment_intent_id=obj.get("payment_intent") or "", dispute_id=obj["id"], gateway=gateway
    )
    return "chargeback reversed" if found else "unknown charge"


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
    unknown type is acknowledged and ignored."""
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return "ignored"
    return handler(event["data"]["object"], gateway)
