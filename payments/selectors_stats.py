"""Payments reads for charts and overviews: earnings per day, balances and revenue per
work, summed in the database over one or several owners (people or organizations)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from accounts.models import Organization, User
from payments.enums import AccountKind
from payments.models import LedgerAccount, LedgerEntry


def _accounts_of(owners: Iterable[User | Organization]) -> QuerySet[LedgerAccount]:
    users = [o.pk for o in owners if isinstance(o, User)]
    organizations = [o.pk for o in owners if isinstance(o, Organization)]
    if not users and not organizations:
        return LedgerAccount.objects.none()
    return LedgerAccount.objects.filter(Q(user__in=users) | Q(organization__in=organizations))


def _credits(owners: Iterable[User | Organization]) -> QuerySet[LedgerEntry]:
    # Every payment reaches an owner as a credit to their pending balance first (and
    # later moves on to available), so pending credits count each earning once.
    return LedgerEntry.objects.filter(
        account__in=_accounts_of(owners), account__kind=AccountKind.PENDING, amount__gt=0
    )


def earnings_by_day(
    *, owners: Iterable[User | Organization], since: datetime | None = None
) -> list[tuple[date, str, int]]:
    """(day, currency, minor units earned) for every day with earnings, oldest first:
    the credits to the owners' pending balances, one GROUP BY in the database."""
    entries = _credits(owners)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    rows = (
        entries.annotate(day=TruncDate("created_at"))
        .values("day", "currency")
        .annotate(total=Sum("amount"))
        .order_by("day", "currency")
    )
    return [(row["day"], row["currency"], row["total"]) for row in rows]


def balances_of(
    *, owners: Iterable[User | Organization], kind: str = AccountKind.AVAILABLE
) -> dict[str, int]:
    """Currency → the owners' summed balance of one kind (available by default), in
    minor units; currencies with no account are absent."""
    rows = (
        LedgerEntry.objects.filter(account__in=_accounts_of(owners).filter(kind=kind))
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"]: row["total"] for row in rows}


def revenue_by_work(
    *,
    owners: Iterable[User | Organization],
    work_ids: QuerySet | Iterable,
    currency: str,
    limit: int = 5,
) -> list[tuple[str, int]]:
    """(work id, minor units earned) for the works among ``work_ids`` that earned the
    owners the most in ``currency``, highest first (ties by work id)."""
    rows = (
        _credits(owners)
        .filter(currency=currency, work_id__in=work_ids)
        .values("work_id")
        .annotate(total=Sum("amount"))
        .order_by("-total", "work_id")[:limit]
    )
    return [(str(row["work_id"]), row["total"]) for row in rows]


def earned_per_work(*, owner: User, work_ids: Iterable) -> dict[str, list[tuple[str, int]]]:
    """Work id → [(currency, minor units)] the owner earned from each work (credits to
    their pending balance, as ``revenue_by_work`` counts them): one GROUP BY."""
    rows = (
        _credits([owner])
        .filter(work_id__in=[w for w in work_ids if w])
        .values("work_id", "currency")
        .annotate(total=Sum("amount"))
        .order_by("work_id", "currency")
    )
    earned: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        earned.setdefault(str(row["work_id"]), []).append((row["currency"], row["total"]))
    return earned


def earned_from_works(
    *, owners: Iterable[User | Organization], work_ids: Iterable
) -> dict[str, int]:
    """Currency → minor units the owners earned from these works (credits to their
    pending balances, as ``revenue_by_work`` counts them): one GROUP BY."""
    ids = [w for w in work_ids if w]
    if not ids:
        return {}
    rows = (
        _credits(owners)
        .filter(work_id__in=ids)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"]: row["total"] for row in rows}
