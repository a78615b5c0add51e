"""Refunds and chargebacks: the mirror of a settled revenue event, taken from where
each party's share now is, and a transfer reversal where it was already paid out.

A person's account never goes below zero (PostgreSQL refuses it): what a party no
longer holds of their share (it was paid out, or spent) is booked to the platform's
RECEIVABLE account, and a transfer reversal brings it back there."""

from __future__ import annotations

import logging

from django.db import transaction

from core.money import Money
from licensing import services as licensing_services
from payments.enums import PARTY_KINDS, AccountKind, CheckoutStatus, RevenueKind, RevenueStatus
from payments.models import (
    CheckoutSession,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    RevenueEvent,
)
from payments.services.ledger import Line, account_for, balance, ledger_post, platform_account

SHORTFALL = "shortfall"


def party_debit_lines(account: LedgerAccount, money: Money, work_id=None) -> list[Line]:
    """Take ``money`` out of a person's ``account`` as far as its balance allows (the
    account locked first, so the balance stays true), the rest from the platform's
    RECEIVABLE account: what that person now owes back."""
    LedgerAccount.objects.select_for_update().filter(pk=account.pk).first()
    held = max(balance(account=account).amount, 0)
    taken = min(held, money.amount)
    receivable = platform_account(kind=AccountKind.RECEIVABLE, currency=money.currency)
    return [
        Line(account, Money(-taken, money.currency), work_id),
        Line(receivable, Money(taken - money.amount, money.currency), work_id),
    ]


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
        posted = LedgerTransaction.objects.filter(key=key).first()
        shortfalls = (posted.meta.get(SHORTFALL) or {}) if posted else {}
        for account in LedgerAccount.objects.filter(pk__in=list(shortfalls)).order_by("pk"):
            _claw_back(account=account, owed=shortfalls[str(account.pk)], gateway=gateway, key=key)


def _reverse_in_ledger(*, event: RevenueEvent, reason: str, key: str) -> None:
    """The ledger half of a reversal, in the caller's transaction (event locked)."""
    settled = event.transaction
    assert settled is not None  # the caller returns first for an unsettled event
    released = LedgerTransaction.objects.filter(key=f"release:{settled.key}").exists()
    lines: list[Line] = []
    shortfalls: dict[str, int] = {}
    for entry in LedgerEntry.objects.filter(transaction=settled).select_related(
        "account__user", "account__organization"
    ):
        account = entry.account
        if account.kind == AccountKind.PENDING and released:
            owner = account.user or account.organization
            account = account_for(owner=owner, kind=AccountKind.AVAILABLE, currency=entry.currency)
        if account.kind in PARTY_KINDS and entry.amount > 0:
            debit = party_debit_lines(account, Money(entry.amount, entry.currency), entry.work_id)
            if debit[1].money.amount:
                shortfalls[str(account.pk)] = -debit[1].money.amount
            lines += debit
        else:
            lines.append(Line(account, Money(-entry.amount, entry.currency), entry.work_id))
    ledger_post(
        key=key,
        kind="revenue.reversal",
        lines=lines,
        memo=reason,
        meta={"event": str(event.pk), SHORTFALL: shortfalls},
    )
    event.status = RevenueStatus.REFUNDED
    event.save(update_fields=["status"])
    grant = event.grant
    if event.kind == RevenueKind.LICENSE_FEE and grant is not None and grant.status == "active":
        # The licence was paid for with money that went back: it ends here.
        licensing_services.grant_transition(
            grant=grant, to="revoked", by=None, note=f"licence fee {reason}"
        )


def _claw_back(*, account, owed: int, gateway, key: str) -> None:
    """Reverse the account's latest transfer for what it owes from this reversal, and
    book the money back against the platform's receivable."""
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
    receivable = platform_account(kind=AccountKind.RECEIVABLE, currency=account.currency)
    ledger_post(
        key=f"{key}-reversal-{account.pk}",
        kind="payout.clawback",
        lines=[Line(clearing, -money), Line(receivable, money)],
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
