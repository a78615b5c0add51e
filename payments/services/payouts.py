"""Payouts: from a connected account's available balance to its Stripe account.

State machine created → submitted → paid | failed, moved only by ``payout_transition``.
Creating a payout reserves the money at once (available → Stripe clearing, key
``payout:<id>:reserve``), so a second pass cannot pay it twice; the transfer carries
idempotency key ``payout-<id>``, so a retried or re-run submission cannot send it twice;
a failure returns the money (key ``payout:<id>:return``) and records why."""

from __future__ import annotations

import logging
from datetime import timedelta

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from core.audit import audit_record, owner_stream
from core.money import Money
from payments.enums import PAYOUT_TRANSITIONS, AccountKind, PayoutStatus
from payments.models import ConnectedAccount, LedgerAccount, LedgerEntry, Payout, PayoutEvent
from payments.services.ledger import Line, ledger_post, platform_account
from payments.services.provider_errors import transfer_refusal

log = logging.getLogger(__name__)


class PayoutError(Exception):
    pass


def payout_transition(*, payout_id, to: str, note: str = "", **fields) -> Payout:
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if to not in PAYOUT_TRANSITIONS[payout.status]:
            raise PayoutError(f"a {payout.status} payout cannot become {to}")
        previous = payout.status
        payout.status = to
        for name, value in fields.items():
            setattr(payout, name, value)
        payout.save(update_fields=["status", "updated_at", *fields])
        PayoutEvent.objects.create(
            payout=payout, from_status=previous, to_status=to, note=note[:300]
        )
        _audit_payout(payout, from_status=previous, note=note)
    return payout


def _audit_payout(payout: Payout, *, from_status: str, note: str) -> None:
    """Record a payout's step in its payee's stream (an organization or a person)."""
    connected = payout.connected_account
    audit_record(
        action=f"payout.{payout.status}",
        actor="system",
        subject=payout,
        scope=owner_stream(organization_id=connected.organization_id, user_id=connected.user_id),
        data={
            "from": from_status,
            "amount": payout.amount,
            "currency": payout.currency,
            "transfer": payout.stripe_transfer_id,
        },
        reason=note or payout.failure_reason,
    )


def _owner(connected: ConnectedAccount):
    return connected.user or connected.organization


def _available_accounts(connected: ConnectedAccount):
    owner = (
        {"user": connected.user} if connected.user_id else {"organization": connected.organization}
    )
    return LedgerAccount.objects.filter(kind=AccountKind.AVAILABLE, **owner)


def payout_open(
    *, connected: ConnectedAccount, account: LedgerAccount, minimum: int
) -> Payout | None:
    """A payout of the account's whole available balance, if it is at or above
    ``minimum`` and no payout of it is still being created, with the money reserved
    (available → Stripe clearing, key ``payout:<id>:reserve``) in the same transaction.
    The balance row is locked first, so concurrent callers (the hourly run, two
    Withdraw clicks) see one total and make one payout. None when there is nothing to
    pay."""
    with transaction.atomic():
        # Lock the balance so concurrent passes and postings see one total.
        LedgerAccount.objects.select_for_update().get(pk=account.pk)
        if Payout.objects.filter(account=account, status=PayoutStatus.CREATED).exists():
            return None
        total = LedgerEntry.objects.filter(account=account).aggregate(t=Sum("amount"))["t"] or 0
        if total < minimum or total <= 0:
            return None
        try:
            with transaction.atomic():
                payout = Payout.objects.create(
                    connected_account=connected,
                    account=account,
                    amount=total,
                    currency=account.currency,
                )
        except IntegrityError:
            return None
        money = Money(total, account.currency)
        clearing = platform_account(kind=AccountKind.STRIPE_CLEARING, currency=account.currency)
        ledger_post(
            key=f"payout:{payout.pk}:reserve",
            kind="payout.reserve",
            lines=[Line(account, -money), Line(clearing, money)],
            memo=f"payout to {connected.stripe_account_id}",
            meta={"payout": str(payout.pk)},
        )
        PayoutEvent.objects.create(payout=payout, to_status=PayoutStatus.CREATED, note="reserved")
        _audit_payout(payout, from_status="", note="reserved")
    return payout


def payouts_create(*, threshold: int | None = None) -> list[Payout]:
    """One payout per available balance at or above the threshold, for every connected
    account with payouts enabled. Reserves the money in the same database transaction."""
    threshold = settings.PAYOUT_THRESHOLD_MINOR if threshold is None else threshold
    created = []
    for connected in ConnectedAccount.objects.filter(payouts_enabled=True).select_related(
        "user", "organization"
    ):
        for account in _available_accounts(connected):
            payout = payout_open(connected=connected, account=account, minimum=threshold)
            if payout is not None:
                created.append(payout)
    return created


def payout_submit(*, payout_id, gateway) -> Payout:
    """Send the transfer (idempotency key ``payout-<id>``) and mark it submitted. Safe to
    run again after a crash at any point: the key makes Stripe return the same transfer."""
    payout = Payout.objects.select_related("connected_account").get(pk=payout_id)
    if payout.status != PayoutStatus.CREATED:
        return payout
    try:
        transfer = gateway.transfer_create(
            key=f"payout-{payout.pk}",
            amount=payout.amount,
            currency=payout.currency,
            destination=payout.connected_account.stripe_account_id,
            transfer_group=f"payout-{payout.pk}",
            metadata={"payout_id": str(payout.pk)},
        )
    except stripe.InvalidRequestError as exc:
        return payout_fail(payout_id=payout.pk, reason=transfer_refusal(exc, payout_id=payout.pk))
    return _payout_submitted(payout_id=payout.pk, transfer_id=transfer.id)


def _payout_submitted(*, payout_id, transfer_id: str, note: str = "") -> Payout:
    """created → submitted with the transfer's id, unless the webhook or this call's
    other path got there first (then the payout is returned as it is)."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status != PayoutStatus.CREATED:
            return payout
        return payout_transition(
            payout_id=payout_id,
            to=PayoutStatus.SUBMITTED,
            note=note or f"transfer {transfer_id}",
            stripe_transfer_id=transfer_id,
            submitted_at=timezone.now(),
        )


def payout_confirm(*, transfer_id: str, payout_id: str = "") -> Payout | None:
    """The webhook's confirmation that the transfer was made: submitted → paid.

    The webhook can arrive before ``payout_submit`` has recorded the transfer: Stripe
    sends it as soon as the transfer exists, and our side may still be waiting for (or
    have lost) the response. The transfer's ``payout_id`` metadata then finds the
    payout, which is marked submitted here first, so the confirmation is not lost."""
    payout = Payout.objects.filter(stripe_transfer_id=transfer_id).first()
    if payout is None and payout_id:
        try:
            exists = Payout.objects.filter(pk=payout_id).exists()
        except (ValueError, ValidationError):
            exists = False
        if exists:
            payout = _payout_submitted(
                payout_id=payout_id,
                transfer_id=transfer_id,
                note=f"transfer {transfer_id} (its webhook came first)",
            )
            if payout.stripe_transfer_id != transfer_id:
                return payout
    if payout is None or payout.status != PayoutStatus.SUBMITTED:
        return payout
    payout = payout_transition(
        payout_id=payout.pk, to=PayoutStatus.PAID, note="confirmed", paid_at=timezone.now()
    )
    _notify(payout, f"Your payout of {Money(payout.amount, payout.currency)} was paid", "")
    return payout


def _notify(payout: Payout, title: str, body: str) -> None:
    connected = payout.connected_account
    users = (
        [connected.user]
        if connected.user_id
        else accounts_selectors.organization_people(
            organization=connected.organization, roles=("owner",)
        )
    )
    accounts_services.notify(
        users=users, kind=f"payout.{payout.status}", title=title, body=body, url="/earnings/"
    )


def payout_fail(*, payout_id, reason: str) -> Payout:
    """The transfer failed or was reversed: return the money to available, once."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status == PayoutStatus.FAILED:
            return payout
        money = Money(payout.amount, payout.currency)
        clearing = platform_account(kind=AccountKind.STRIPE_CLEARING, currency=payout.currency)
        ledger_post(
            key=f"payout:{payout.pk}:return",
            kind="payout.return",
            lines=[Line(clearing, -money), Line(payout.account, money)],
            memo=reason[:300],
            meta={"payout": str(payout.pk)},
        )
        payout = payout_transition(
            payout_id=payout.pk, to=PayoutStatus.FAILED, note=reason, failure_reason=reason[:300]
        )
        _notify(
            payout, f"Your payout of {money} failed", f"{reason} The money is back in your balance."
        )
        return payout


def payouts_run(*, gateway) -> list[Payout]:
    """One pass: create due payouts, then submit every created one (including ones a
    crashed earlier pass left behind)."""
    payouts_create()
    done = []
    for payout_id in Payout.objects.filter(status=PayoutStatus.CREATED).values_list(
        "pk", flat=True
    ):
        done.append(payout_submit(payout_id=payout_id, gateway=gateway))
    return done


def payouts_submitted_settle(*, gateway, batch: int = 100) -> list[Payout]:
    """Settle payouts left ``submitted`` past their lease (``PAYOUT_LEASE_SECONDS``):
    the transfer's webhook never came, or its handling was lost. The transfer the
    payout recorded is read back from Stripe: kept, the payout is paid, as its
    ``transfer.created`` webhook would have made it; reversed in full, it failed. It is
    read rather than created again under ``payout-<id>`` because Stripe forgets an
    idempotency key after 24 hours: a late re-submission would be a second transfer.
    A transient Stripe error is raised for the task to retry."""
    cutoff = timezone.now() - timedelta(seconds=settings.PAYOUT_LEASE_SECONDS)
    stuck = Payout.objects.filter(status=PayoutStatus.SUBMITTED, submitted_at__lt=cutoff)
    settled = []
    for payout in stuck.order_by("submitted_at", "id")[:batch]:
        try:
            transfer = gateway.transfer_retrieve(payout.stripe_transfer_id)
        except stripe.InvalidRequestError as exc:
            log.error("payout %s: its transfer %s cannot be read: %s",
                      payout.pk, payout.stripe_transfer_id, exc)  # fmt: skip
            continue
        if transfer.amount_reversed >= transfer.amount:
            settled.append(payout_fail(payout_id=payout.pk, reason="The transfer was reversed."))
            continue
        confirmed = payout_confirm(transfer_id=transfer.id, payout_id=str(payout.pk))
        if confirmed is not None:
            settled.append(confirmed)
    return settled
