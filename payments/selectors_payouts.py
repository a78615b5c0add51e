"""Payout reads: when the next scheduled payout runs, and what Withdraw would pay an
account holder now, or why it cannot (the earnings page and the API show both)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import User
from core.money import Money
from marketplace.enums import DisputeStatus
from marketplace.models import Dispute
from payments.enums import AccountKind, PaymentsError, PayoutStatus
from payments.models import ConnectedAccount, LedgerEntry, Payout

# The task beat runs for scheduled payouts (config/schedule.py names it).
PAYOUTS_TASK = "payments.payouts_run"
OPEN_DISPUTES = (DisputeStatus.OPEN, DisputeStatus.ESCALATED)
# A note, not a refusal: escrowed money is not in the available balance in any case.
HELD_BY_DISPUTE = "held_by_dispute"


def payout_next_run(*, now: datetime | None = None) -> datetime | None:
    """When beat next runs the scheduled payouts, from the schedule itself (None if no
    schedule runs them)."""
    now = now or timezone.now()
    for entry in (current_app.conf.beat_schedule or {}).values():
        if entry.get("task") != PAYOUTS_TASK:
            continue
        schedule = entry["schedule"]
        if hasattr(schedule, "remaining_delta"):  # a crontab: the next matching minute
            last, delta, _ = schedule.remaining_delta(now)
            return last + delta
        every = getattr(schedule, "run_every", schedule)
        return now + every
    return None


@dataclass(frozen=True)
class Reason:
    """Why Withdraw cannot pay (a code from PaymentsError), or a note beside it."""

    code: str
    text: str


@dataclass(frozen=True)
class PayoutOutlook:
    connected: ConnectedAccount | None
    minimum: int  # minor units, in each currency
    next_run: datetime | None
    available: list[Money]
    pending: list[Money]
    due: list[Money]  # what Withdraw pays now: each available balance at the minimum or more
    in_flight: list[Payout]  # created or submitted, not yet confirmed
    held: list[Money]  # revenue of the owner's disputed works waiting in escrow
    reasons: list[Reason] = field(default_factory=list)

    @property
    def minimums(self) -> list[Money]:
        """The minimum payout in each currency the owner holds (USD when none yet)."""
        currencies = sorted({m.currency for m in self.available + self.pending}) or ["USD"]
        return [Money(self.minimum, c) for c in currencies]

    @property
    def can_withdraw(self) -> bool:
        return self.blocking is None and bool(self.due)

    @property
    def blocking(self) -> Reason | None:
        """The reason a refused withdrawal names (the first that is a refusal code)."""
        return next((r for r in self.reasons if r.code != HELD_BY_DISPUTE), None)


def _owner_filter(owner, prefix: str = "") -> dict:
    key = "user" if isinstance(owner, User) else "organization"
    return {f"{prefix}{key}": owner}


def _balances(owner) -> dict[tuple[str, str], int]:
    rows = (
        LedgerEntry.objects.filter(**_owner_filter(owner, "account__"))
        .values("account__kind", "account__currency")
        .annotate(total=Sum("amount"))
    )
    return {(r["account__kind"], r["account__currency"]): r["total"] for r in rows}


def escrow_held_for(*, owner) -> list[Money]:
    """Revenue of works in an open dispute that waits in escrow: the works the person
    created, or, for an organization, the works it claimed. Escrow entries carry their
    work, and money out of escrow is a negative entry for the same work, so the sum per
    currency is what is still held (every recipient's share, the owner's among them)."""
    disputes = Dispute.objects.filter(status__in=OPEN_DISPUTES)
    if isinstance(owner, User):
        disputes = disputes.filter(claim__work__creator=owner)
    else:
        disputes = disputes.filter(claim__organization=owner)
    rows = (
        LedgerEntry.objects.filter(
            account__kind=AccountKind.ESCROW,
            account__user__isnull=True,
            account__organization__isnull=True,
            work_id__in=disputes.values("claim__work_id"),
        )
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return [Money(r["total"], r["currency"]) for r in rows if r["total"] > 0]


def payout_outlook(*, owner, now: datetime | None = None) -> PayoutOutlook:
    """What a Withdraw by ``owner`` (a user, or an organization) would pay now, the next
    scheduled payout, the minimum, and every reason it cannot pay yet."""
    minimum = settings.PAYOUT_THRESHOLD_MINOR
    connected = ConnectedAccount.objects.filter(**_owner_filter(owner)).first()
    balances = _balances(owner)
    available = sorted(
        (Money(v, c) for (k, c), v in balances.items() if k == AccountKind.AVAILABLE and v),
        key=lambda m: m.currency,
    )
    pending = sorted(
        (Money(v, c) for (k, c), v in balances.items() if k == AccountKind.PENDING and v > 0),
        key=lambda m: m.currency,
    )
    in_flight = list(
        Payout.objects.filter(
            Q(status=PayoutStatus.CREATED) | Q(status=PayoutStatus.SUBMITTED),
            **_owner_filter(owner, "connected_account__"),
        ).order_by("created_at", "id")
    )
    opening = {p.currency for p in in_flight if p.status == PayoutStatus.CREATED}
    due = [m for m in available if m.amount >= minimum and m.currency not in opening]
    held = escrow_held_for(owner=owner)
    reasons: list[Reason] = []
    if connected is None:
        reasons.append(
            Reason(PaymentsError.NO_CONNECTED_ACCOUNT, "Connect your bank account to be paid.")
        )
    elif not connected.payouts_enabled:
        reasons.append(
            Reason(
                PaymentsError.PAYOUTS_NOT_ENABLED,
                "Stripe has not confirmed your bank details yet: finish onboarding, and "
                "payouts start once Stripe confirms.",
            )
        )
    if not due:
        if opening:
            amounts = ", ".join(
                str(Money(p.amount, p.currency))
                for p in in_flight
                if p.status == PayoutStatus.CREATED
            )
            reasons.append(
                Reason(PaymentsError.PAYOUT_IN_PROGRESS, f"A payout of {amounts} is on its way.")
            )
        else:
            least = Money(minimum, available[0].currency if available else "USD")
            if available:
                have = " and ".join(str(m) for m in available)
                text = f"Your available balance ({have}) is below the {least} minimum payout."
            else:
                text = f"Nothing is available to pay out yet (the minimum payout is {least})."
            if pending:
                text += (
                    f" {' and '.join(str(m) for m in pending)} is still pending and becomes "
                    "available after the refund window."
                )
            reasons.append(Reason(PaymentsError.BELOW_MINIMUM, text))
    if held:
        reasons.append(
            Reason(
                HELD_BY_DISPUTE,
                f"{' and '.join(str(m) for m in held)} of revenue on disputed videos is held "
                "in escrow until the disputes are settled.",
            )
        )
    return PayoutOutlook(
        connected=connected,
        minimum=minimum,
        next_run=payout_next_run(now=now),
        available=available,
        pending=pending,
        due=due,
        in_flight=in_flight,
        held=held,
        reasons=reasons,
    )
