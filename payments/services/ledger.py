"""The double-entry ledger: accounts, balanced transactions, derived balances.

``ledger_post`` is the only writer. It refuses an unbalanced transaction, posts each
transaction's lines in one INSERT (the database's statement-level trigger checks the
balance), and is idempotent on its key: posting the same key twice returns the first
transaction and writes nothing."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum

from accounts import selectors as accounts_selectors
from core.money import Money
from payments.enums import AccountKind
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction


class LedgerError(Exception):
    pass


@dataclass(frozen=True)
class Line:
    account: LedgerAccount
    money: Money
    work_id: uuid.UUID | str | None = None


def _owner(owner) -> dict:
    if owner is None:
        return {"user": None, "organization": None}
    if accounts_selectors.is_organization(owner):
        return {"user": None, "organization": owner}
    return {"user": owner, "organization": None}


def account_for(*, owner, kind: str, currency: str) -> LedgerAccount:
    """The (owner, kind, currency) account, created on first use. ``owner`` is a User,
    an Organization, or None for the platform's own accounts. Race-safe."""
    filters = {"kind": kind, "currency": currency, **_owner(owner)}
    account = LedgerAccount.objects.filter(**filters).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(**filters)
    except IntegrityError:
        return LedgerAccount.objects.get(**filters)


def platform_account(*, kind: str, currency: str) -> LedgerAccount:
    return account_for(owner=None, kind=kind, currency=currency)


def ledger_post(
    *, key: str, kind: str, lines: Sequence[Line], memo: str = "", meta: dict | None = None
) -> tuple[LedgerTransaction, bool]:
    """Post a balanced transaction once. Returns (transaction, created)."""
    existing = LedgerTransaction.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.money.currency != line.account.currency:
            raise LedgerError(
                f"a {line.money.currency} amount cannot go to a {line.account.currency} account"
            )
        totals[line.money.currency] += line.money.amount
    unbalanced = {c: t for c, t in totals.items() if t}
    if unbalanced:
        raise LedgerError(f"transaction {key} does not balance: {unbalanced}")
    lines = [line for line in lines if line.money.amount]
    if not lines:
        raise LedgerError(f"transaction {key} has no non-zero lines")
    try:
        with transaction.atomic():
            txn = LedgerTransaction.objects.create(
                key=key, kind=kind, memo=memo[:300], meta=meta or {}
            )
            LedgerEntry.objects.bulk_create(
                [
                    LedgerEntry(
                        transaction=txn,
                        account=line.account,
                        amount=line.money.amount,
                        currency=line.money.currency,
                        work_id=line.work_id,
                    )
                    for line in lines
                ],
                batch_size=10_000,
            )
    except IntegrityError:
        # A concurrent poster of the same key won; ours rolled back whole.
        winner = LedgerTransaction.objects.filter(key=key).first()
        if winner is None:
            raise
        return winner, False
    return txn, True


def balance(*, account: LedgerAccount) -> Money:
    """The account's balance: the sum of its entries."""
    total = account.entries.aggregate(total=Sum("amount"))["total"] or 0
    return Money(total, account.currency)


def balances_for(*, owner) -> dict[tuple[str, str], Money]:
    """(kind, currency) → balance for every account of the owner."""
    rows = (
        LedgerEntry.objects.filter(account__in=LedgerAccount.objects.filter(**_owner(owner)))
        .values("account__kind", "account__currency")
        .annotate(total=Sum("amount"))
    )
    return {
        (r["account__kind"], r["account__currency"]): Money(r["total"], r["account__currency"])
        for r in rows
    }


def ledger_totals() -> dict[str, int]:
    """Sum of all entries per currency: zero in a balanced ledger."""
    return {
        row["currency"]: row["total"]
        for row in LedgerEntry.objects.values("currency").annotate(total=Sum("amount"))
    }


def reverse_lines(entries: Iterable[LedgerEntry]) -> list[Line]:
    return [Line(e.account, Money(-e.amount, e.currency), e.work_id) for e in entries]


__all__ = [
    "AccountKind",
    "LedgerError",
    "Line",
    "account_for",
    "balance",
    "balances_for",
    "ledger_post",
    "ledger_totals",
    "platform_account",
    "reverse_lines",
]
