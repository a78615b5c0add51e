"""Receiving Stripe webhooks: verify, store once, enqueue the handling on commit."""

import json

import stripe
from django.db import IntegrityError, transaction

from payments.models import StripeEvent
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
    from payments.tasks import webhook_handle

    webhook_handle.delay(event_id)
