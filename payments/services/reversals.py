"""Refunds and chargebacks: the mirror of a settled revenue event, taken from where
each party's share now is, and a transfer reversal where it was already paid out."""

from __future__ import annotations

import logging

from django.db import transaction

from core.money import Money
from licensing import services as licensing_services
from payments.enums import AccountKind, CheckoutStatus, RevenueKind, RevenueStatus
from payments.models import (
    CheckoutSession,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    RevenueEvent,
)
from payments.services.ledger import Line, account_for, balance, ledger_post, platform_account

log = logging.getLogger(__name__)

# The metadata purpose of our own transfer reversals (refunds after a payout), so their
# webhook is not taken for a failed payout.
CLAWBACK_PURPOSE = "clawback"


def revenue_reverse(*, event: RevenueEvent, reason: str, key: str, gateway=None) -> None:
    """Reverse a settled revenue event (a refund or a chargeback): post the mirror of
    its settlement, taking each party's share from where it now is (pending, or
    available once released). Where a party's available balance goes below zero because
    the money was already paid out, reverse the latest transfer for the shortfall."""
    with transaction.atomic():
        event = RevenueEvent.objects.select_for_update().get(pk=event.pk)
        if event.transaction is None:
            return
        if event.status != RevenueStatus.REFUNDED:
            _reverse_in_ledger(event=event, reason=reason, key=key)
    if gateway is not None:
        # Also when the ledger part was done by an earlier attempt that then failed
        # talking to Stripe: the retry must still claw back (same keys, so once).
        debited = (
            LedgerEntry.objects.filter(transaction__key=key, account__kind=AccountKind.AVAILABLE)
            .values_list("account_id", flat=True)
            .distinct()
        )
        for account in LedgerAccount.objects.filter(pk__in=debited).order_by("pk"):
            _claw_back(account=account, gateway=gateway, key=key)


def _reverse_in_ledger(*, event: RevenueEvent, reason: str, key: str) -> None:
    """The ledger half of a reversal, in the caller's transaction (event locked)."""
    settled = event.transaction
    assert settled is not None  # the caller returns first for an unsettled event
    released = LedgerTransaction.objects.filter(key=f"release:{settled.key}").exists()
    lines: list[Line] = []
    for entry in LedgerEntry.objects.filter(transaction=settled).select_related(
        "account__user", "account__organization"
    ):
        account = entry.account
        if account.kind == AccountKind.PENDING and released:
            owner = account.user or account.organization
            account = account_for(owner=owner, kind=AccountKind.AVAILABLE, currency=entry.currency)
        lines.append(Line(account, Money(-entry.amount, entry.currency), entry.work_id))
    ledger_post(
        key=key,
        kind="revenue.reversal",
        lines=lines,
        memo=reason,
        meta={"event": str(event.pk)},
    )
    event.status = RevenueStatus.REFUNDED
    event.save(update_fields=["status"])
    grant = event.grant
    if event.kind == RevenueKind.LICENSE_FEE and grant is not None and grant.status == "active":
        # The licence was paid for with money that went back: it ends here.
        licensing_services.grant_transition(
            grant=grant, to="revoked", by=None, note=f"licence fee {reason}"
        )


def _claw_back(*, account, gateway, key: str) -> None:
    owed = -balance(account=account).amount
    if owed <= 0:
        return
    payout = (
        account.payouts.filter(status__in=["submitted", "paid"])
        .exclude(stripe_transfer_id="")
        .order_by("-created_at")
        .first()
    )
    if payout is None:
        return
    amount = min(owed, payout.amount)
    reversal = gateway.transfer_reversal_create(
        key=f"{key}-reversal-{account.pk}",
        transfer_id=payout.stripe_transfer_id,
        amount=amount,
        metadata={"payout_id": str(payout.pk), "purpose": CLAWBACK_PURPOSE},
    )
    money = Money(amount, account.currency)
    clearing = platform_account(kind=AccountKind.STRIPE_CLEARING, currency=account.currency)
    ledger_post(
        key=f"{key}-reversal-{account.pk}",
        kind="payout.clawback",
        lines=[Line(clearing, -money), Line(account, money)],
        memo=f"transfer reversal {reversal.id}",
        meta={"payout": str(payout.pk)},
    )


def charge_refunded(*, payment_intent_id: str, gateway) -> RevenueEvent | None:
    event = RevenueEvent.objects.filter(source="stripe", external_id=payment_intent_id).first()
    if event is None:
        return None
    revenue_reverse(
        event=event, reason="refunded", key=f"refund:{payment_intent_id}", gateway=gateway
    )
    CheckoutSession.objects.filter(payment_intent_id=payment_intent_id).update(
        status=CheckoutStatus.REFUNDED
    )
    return event


def charge_disputed(*, payment_intent_id: str, dispute_id: str, gateway) -> RevenueEvent | None:
    event = RevenueEvent.objects.filter(source="stripe", external_id=payment_intent_id).first()
    if event is None:
        return None
    revenue_reverse(
        event=event,
        reason=f"chargeback {dispute_id}",
        key=f"chargeback:{payment_intent_id}",
        gateway=gateway,
    )
    return event
