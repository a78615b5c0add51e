"""Revenue events and their settlement into the ledger.

An event is recorded once per (source, external id). Settling it posts one balanced
transaction (key ``revenue:<event id>``): the money comes from Stripe clearing (or,
for a per-generation fee, from what was held of the creator's wallet for it) and goes to every party
the split engine names, into their pending balances. ``ledger_release_pending`` later
moves pending money to available once the hold has passed: revenue, what a settled
dispute lets out of escrow, and nothing of what a refund took back in the meantime."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from accounts import selectors as accounts_selectors
from core.errors import DomainError
from core.money import Money, allocate
from marketplace import selectors as marketplace_selectors
from payments import selectors
from payments.enums import AccountKind, PaymentsError, RevenueKind, RevenueStatus
from payments.models import LedgerEntry, LedgerTransaction, RevenueEvent
from payments.services.ledger import Line, account_for, ledger_post, platform_account
from payments.split import Party, SplitLine, fee_weights, split_money

if TYPE_CHECKING:
    from accounts.models import User


SOURCES = ("stripe", "import", "internal")
# What a work earns from viewers and ads: only a commercial work may (fees are the
# creator's costs, not the work's earnings).
WORK_EARNING_KINDS = frozenset({RevenueKind.TIP, RevenueKind.AD_REVENUE})


class NotCommercial(DomainError):
    """A tip or ad revenue for a work whose licences do not allow commercial use."""

    code = PaymentsError.NON_COMMERCIAL
    status_code = 409


def work_earning_refusal(*, work, kind: str) -> str | None:
    """Why ``work`` may not take revenue of ``kind`` (a tip or ad revenue on a
    non-commercial work), or None when it may."""
    if kind not in WORK_EARNING_KINDS:
        return None
    reason = marketplace_selectors.work_noncommercial_reason(work=work)
    if reason is None:
        return None
    what = "tips" if kind == RevenueKind.TIP else "ad revenue"
    return f"{reason}, so it takes no {what}."


def revenue_event_record(
    *,
    kind: str,
    source: str,
    external_id: str,
    money: Money,
    work=None,
    grant=None,
    payer: User | None = None,
    occurred_at: datetime | None = None,
) -> tuple[RevenueEvent, bool]:
    """Record money that came in, once. Returns (event, created). Refuses (NotCommercial)
    a new tip or ad revenue for a work whose licences do not allow commercial use; an
    event already recorded is returned as it is."""
    if kind not in RevenueKind.values:
        raise ValueError(f"unknown revenue kind {kind!r}")
    if source not in SOURCES:
        raise ValueError(f"unknown revenue source {source!r}")
    if money.amount <= 0:
        raise ValueError("revenue must be positive; refunds are reversals")
    if (work is None) == (grant is None):
        raise ValueError("a revenue event belongs to exactly one work or one grant")
    existing = RevenueEvent.objects.filter(source=source, external_id=external_id).first()
    if existing is not None:
        return existing, False
    refusal = work_earning_refusal(work=work, kind=kind) if work is not None else None
    if refusal:
        raise NotCommercial(refusal)
    try:
        with transaction.atomic():
            event = RevenueEvent.objects.create(
                kind=kind,
                source=source,
                external_id=external_id,
                amount=money.amount,
                currency=money.currency,
                work=work,
                grant=grant,
                payer=payer,
                occurred_at=occurred_at or timezone.now(),
            )
    except IntegrityError:
        return RevenueEvent.objects.get(source=source, external_id=external_id), False
    return event, True


def split_lines_for(event: RevenueEvent) -> list[SplitLine]:
    """The split engine's weights for this event: a fee goes to the character's
    rightsholder; tips and ad revenue go down the work's lineage."""
    if event.kind in (RevenueKind.LICENSE_FEE, RevenueKind.GENERATION_FEE):
        assert event.grant is not None  # fees always belong to a grant
        character = event.grant.character
        return fee_weights(
            rightsholder=selectors.party_for_character(character),
            character=character.name,
            platform_fee_bps=settings.PLATFORM_FEE_BPS,
        )
    return selectors.work_split_lines(work=event.work)


def _owner(party: Party, cache: dict):
    if party.kind == "platform":
        return None
    if party.id not in cache:
        cache[party.id] = accounts_selectors.owner_get(kind=party.kind, pk=party.id)
    return cache[party.id]


_UNREAD = object()


def settlement_lines(
    event: RevenueEvent, *, owners: dict | None = None, hold: Any = _UNREAD
) -> list[Line]:
    """The balanced lines settling ``event`` (``hold``: the work's revenue hold, when the
    caller already read it)."""
    owners = {} if owners is None else owners
    money = Money(event.amount, event.currency)
    work_id = event.work_id
    if event.kind == RevenueKind.GENERATION_FEE:
        source = account_for(owner=event.payer, kind=AccountKind.HOLD, currency=event.currency)
    else:
        source = platform_account(kind=AccountKind.STRIPE_CLEARING, currency=event.currency)
    lines = [Line(source, -money, work_id)]
    if hold is _UNREAD:
        hold = revenue_hold_for(event)
    for split_line, part in split_money(money, split_lines_for(event)):
        if not part.amount:
            continue
        if split_line.role == "platform":
            target = platform_account(kind=AccountKind.PLATFORM_REVENUE, currency=event.currency)
        elif hold is not None and hold[0] == "escrow":
            target = platform_account(kind=AccountKind.ESCROW, currency=event.currency)
        elif hold is not None and hold[0] == "claimant":
            target = account_for(owner=hold[1], kind=AccountKind.PENDING, currency=event.currency)
        else:
            target = account_for(
                owner=_owner(split_line.party, owners),
                kind=AccountKind.PENDING,
                currency=event.currency,
            )
        lines.append(Line(target, part, work_id))
    return lines


def revenue_hold_for(event: RevenueEvent):
    """A disputed work's revenue goes to escrow; a monetize-claimed work's to the
    claimant (the work's claims decide which)."""
    if event.work_id is None:
        return None
    return marketplace_selectors.work_revenue_hold(work_id=event.work_id)


def escrow_intended_recipients(event: RevenueEvent) -> list[tuple[object, int]]:
    """Who an escrowed event's money would have gone to: (owner, amount) per party
    (the platform fee is never escrowed)."""
    money = Money(event.amount, event.currency)
    owners: dict = {}
    return [
        (_owner(split_line.party, owners), part.amount)
        for split_line, part in split_money(money, split_lines_for(event))
        if part.amount and split_line.role != "platform"
    ]


def escrow_shares(lines: list[Line], claim_ids) -> dict[str, int]:
    """What each disputed claim holds of the escrowed part of ``lines``: equal shares
    (``allocate``, in claim id order), so settling one dispute moves only its own."""
    held = sum(line.money.amount for line in lines if line.account.kind == AccountKind.ESCROW)
    if not held:
        return {}
    currency = lines[0].money.currency
    ids = sorted(str(c) for c in claim_ids)
    parts = allocate(Money(held, currency), [1] * len(ids))
    return {claim_id: part.amount for claim_id, part in zip(ids, parts, strict=True)}


def revenue_event_settle(*, event: RevenueEvent) -> LedgerTransaction:
    """Post the event's split to the ledger, once (key ``revenue:<event id>``). Revenue
    of a disputed work goes to escrow; the transaction's meta says which claims hold
    how much of it (``escrow_claims``)."""
    # No savepoint of its own: a failure here fails the caller's transaction whole.
    with transaction.atomic(savepoint=False):
        event = (
            RevenueEvent.objects.select_for_update(of=("self",))
            .select_related(
                "grant__character__owner_organization", "grant__character__owner_user", "payer"
            )
            .get(pk=event.pk)
        )
        if event.transaction is not None:
            return event.transaction
        hold = revenue_hold_for(event)
        lines = settlement_lines(event, hold=hold)
        escrowed = any(line.account.kind == AccountKind.ESCROW for line in lines)
        meta: dict = {"event": str(event.pk), "escrow": escrowed, "work": str(event.work_id or "")}
        if escrowed and hold is not None:
            meta["escrow_claims"] = escrow_shares(lines, hold[1])
        txn, _ = ledger_post(
            key=f"revenue:{event.pk}",
            kind=f"revenue.{event.kind}",
            lines=lines,
            memo=f"{event.get_kind_display()} {event.source}:{event.external_id}"
            + (" (held in escrow: disputed)" if escrowed else ""),
            meta=meta,
        )
        event.transaction = txn
        event.status = RevenueStatus.SETTLED
        event.save(update_fields=["transaction", "status"])
    return txn


# What reaches a party's pending balance and is released after the hold: revenue, and
# a disputed work's revenue when its escrow goes to the recipients or the claimant.
RELEASED_KINDS = Q(kind__startswith="revenue.") | Q(kind="escrow.out")


def ledger_release_pending(*, now: datetime | None = None, batch: int = 500) -> int:
    """Move settled revenue (and revenue let out of escrow) from pending to available
    once the hold has passed, one release transaction per revenue or escrow-out
    transaction (idempotent). Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.PENDING_HOLD_HOURS)
    released = 0
    while True:
        due = list(
            LedgerTransaction.objects.filter(RELEASED_KINDS, created_at__lte=cutoff)
            .exclude(
                Exists(
                    LedgerTransaction.objects.filter(key=Concat(Value("release:"), OuterRef("key")))
                )
            )
            .order_by("created_at", "id")[:batch]
        )
        if not due:
            return released
        for txn in due:
            released += _release(txn)


def _release(txn: LedgerTransaction) -> int:
    """Release one revenue transaction (key ``release:<its key>``): each party's pending
    share moves to available. A refund or chargeback posted before the release already
    took those shares back out of pending: the release moves only what is left (nothing,
    for a whole reversal) and the reversal is released with it, having nothing left to
    move. Under the event's row lock, as a reversal takes it, so the two never cross.
    Returns 1, or 0 when an earlier pass already released it."""
    with transaction.atomic():
        event_id = txn.meta.get("event")
        if event_id:
            RevenueEvent.objects.select_for_update().filter(pk=event_id).first()
        if LedgerTransaction.objects.filter(key=f"release:{txn.key}").exists():
            return 0
        netted = [txn]
        if event_id and txn.kind != "revenue.reversal":
            netted += list(
                LedgerTransaction.objects.filter(kind="revenue.reversal", meta__event=event_id)
                .exclude(
                    Exists(
                        LedgerTransaction.objects.filter(
                            key=Concat(Value("release:"), OuterRef("key"))
                        )
                    )
                )
                .order_by("created_at", "id")
            )
        pending: dict[tuple[int, Any], int] = {}
        accounts = {}
        for entry in LedgerEntry.objects.filter(
            transaction__in=netted, account__kind=AccountKind.PENDING
        ).select_related("account__user", "account__organization"):
            key = (entry.account_id, entry.work_id)
            pending[key] = pending.get(key, 0) + entry.amount
            accounts[entry.account_id] = entry.account
        lines: list[Line] = []
        for (account_id, work_id), amount in sorted(pending.items(), key=str):
            if amount <= 0:
                continue
            account = accounts[account_id]
            owner = account.user or account.organization
            available = account_for(
                owner=owner, kind=AccountKind.AVAILABLE, currency=account.currency
            )
            lines += [
                Line(account, Money(-amount, account.currency), work_id),
                Line(available, Money(amount, account.currency), work_id),
            ]
        if lines:
            ledger_post(key=f"release:{txn.key}", kind="release", lines=lines, meta={"of": txn.key})
        else:  # nothing left pending (all to the platform, or reversed): mark it released
            LedgerTransaction.objects.get_or_create(
                key=f"release:{txn.key}", defaults={"kind": "release", "meta": {"of": txn.key}}
            )
        for reversal in netted[1:]:
            LedgerTransaction.objects.get_or_create(
                key=f"release:{reversal.key}",
                defaults={"kind": "release", "meta": {"of": reversal.key, "with": txn.key}},
            )
    return 1
