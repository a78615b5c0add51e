"""Refunds Cocreate starts itself: the licence fee of a request that closed without the
licence ever starting (declined, not decided by its deadline, withdrawn, its offer
ended), or of a payment that arrived for a licence no longer waiting for it.

The ledger is reversed at once, in the transaction that closed the request (key
``refund:<payment intent>``, the key the ``charge.refunded`` webhook reverses under, so
its arrival changes nothing more), and a ``Refund`` row is written beside it. Stripe is
asked after the commit, by a task keyed ``refund-<refund id>``; beat asks again for any
refund still due, so a lost task delays a refund and never loses it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import stripe
from django.db import transaction
from django.utils import timezone

from core import outbox
from core.audit import audit_record, owner_stream
from payments.enums import CheckoutStatus, RefundStatus, RevenueKind, RevenueStatus
from payments.models import CheckoutSession, Refund, RevenueEvent
from payments.services.revenue import revenue_event_settle
from payments.services.reversals import revenue_reverse

log = logging.getLogger(__name__)
# How long a refund may wait for its own task before beat submits it instead.
SUBMIT_GRACE = timedelta(minutes=5)


def _enqueue(refund_id) -> None:
    # By name: payments/tasks.py calls these services, so it is not imported here.
    outbox.enqueue("payments.refund_submit", [str(refund_id)])


def licence_fees_refund(*, grant_id, reason: str) -> list[Refund]:
    """Refund every licence fee paid through Stripe for the grant and not yet given
    back, in the caller's transaction: the ledger reversal now, Stripe once it commits
    (through the outbox).
    Idempotent: a second call finds the fees reversed and does nothing."""
    refunds = []
    fees = RevenueEvent.objects.filter(
        grant_id=grant_id, kind=RevenueKind.LICENSE_FEE, source="stripe"
    ).exclude(status=RevenueStatus.REFUNDED)
    for event in fees.order_by("id"):
        revenue_event_settle(event=event)
        revenue_reverse(
            event=event, reason=f"refunded: {reason}"[:300], key=f"refund:{event.external_id}"
        )
        refund, created = Refund.objects.get_or_create(
            event=event,
            defaults={
                "payment_intent_id": event.external_id,
                "amount": event.amount,
                "currency": event.currency,
                "reason": reason[:300],
            },
        )
        if created:
            audit_record(
                action="refund.due",
                actor="system",
                subject=refund,
                scope=owner_stream(user_id=event.payer_id),
                data={"grant": grant_id, "amount": refund.amount, "currency": refund.currency},
                reason=reason,
            )
            _enqueue(refund.pk)
        refunds.append(refund)
    return refunds


def refund_submit(*, refund_id, gateway) -> Refund:
    """Ask Stripe for a due refund (key ``refund-<id>``: once, however often this runs),
    then take back from a transfer what was already paid out of it. Stripe refusing
    for good (the charge was already refunded, say) marks the refund failed for staff;
    a transient error is raised for the task to retry."""
    refund = Refund.objects.select_related("event").get(pk=refund_id)
    if refund.status != RefundStatus.DUE:
        return refund
    try:
        made = gateway.refund_create(
            key=f"refund-{refund.pk}",
            payment_intent=refund.payment_intent_id,
            amount=refund.amount,
        )
    except stripe.InvalidRequestError as exc:
        log.error(
            "refund %s refused by Stripe: %s (Stripe request %s)",
            refund.pk,
            exc,
            getattr(exc, "request_id", None),
        )
        with transaction.atomic():
            failed = Refund.objects.filter(pk=refund.pk, status=RefundStatus.DUE).update(
                status=RefundStatus.FAILED, failure_reason=str(exc.user_message or exc)[:300]
            )
            refund.refresh_from_db()
            if failed:
                _audit_refund(refund, reason=refund.failure_reason)
        return refund
    with transaction.atomic():
        submitted = Refund.objects.filter(pk=refund.pk, status=RefundStatus.DUE).update(
            status=RefundStatus.SUBMITTED, stripe_refund_id=made.id, submitted_at=timezone.now()
        )
        if submitted:
            refund.status = RefundStatus.SUBMITTED
            _audit_refund(refund, reason=refund.reason)
    CheckoutSession.objects.filter(payment_intent_id=refund.payment_intent_id).update(
        status=CheckoutStatus.REFUNDED
    )
    # The ledger part is done (the same key); this claws back a payout if there was one.
    revenue_reverse(
        event=refund.event,
        reason=refund.reason,
        key=f"refund:{refund.payment_intent_id}",
        gateway=gateway,
    )
    refund.refresh_from_db()
    return refund


def _audit_refund(refund: Refund, *, reason: str) -> None:
    audit_record(
        action=f"refund.{refund.status}",
        actor="system",
        subject=refund,
        scope=owner_stream(user_id=refund.event.payer_id),
        data={"amount": refund.amount, "currency": refund.currency},
        reason=reason,
    )


def refunds_submit_due(*, gateway, now: datetime | None = None, batch: int = 100) -> int:
    """Submit the refunds still due a while after they were written (their own task was
    lost or failed), oldest first, at most ``batch``. Returns how many were tried."""
    cutoff = (now or timezone.now()) - SUBMIT_GRACE
    due = list(
        Refund.objects.filter(status=RefundStatus.DUE, created_at__lte=cutoff)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:batch]
    )
    for refund_id in due:
        refund_submit(refund_id=refund_id, gateway=gateway)
    return len(due)
