"""Per-generation fees, secured before any work is done.

Creating a generation request holds every fee it will owe (``fee_holds_place``): the
money moves from the creator's wallet (and from their available earnings, if they opted
in) to their HOLD account. The policy check may find more characters than were asked for
and adjusts the hold (``fee_holds_secure``). When the request publishes its work the hold
is captured (``fee_holds_capture``): one per-generation fee revenue event per character,
settled from the HOLD account to the rightsholders. Any other end (refused, failed,
denied) releases it back to where it came from (``fee_holds_release``).

Each hold is a row per (request, currency) whose status moves once under a row lock, and
each ledger movement has its own key, so a retried task or a redelivered event moves
nothing twice. The accounts a hold draws from are locked before their balances are read,
and PostgreSQL refuses any entry that would take a person's account below zero."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core.errors import InsufficientFunds
from core.links import absolute_url
from core.money import Money, format_minor
from licensing import selectors as licensing_selectors
from payments import selectors
from payments.enums import AccountKind, FeeHoldStatus, RevenueKind
from payments.models import FeeHold, LedgerAccount
from payments.services.ledger import Line, account_for, balance, ledger_post
from payments.services.revenue import revenue_event_record, revenue_event_settle

if TYPE_CHECKING:
    from accounts.models import User


def _by_currency(lines: Iterable[dict]) -> dict[str, list[dict]]:
    """Fee lines ({"character_id", "grant_id", "amount", "currency"}) with an amount,
    grouped by currency, each group in character id order."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for line in sorted(lines, key=lambda item: str(item["character_id"])):
        if line["amount"]:
            groups[line["currency"]].append(
                {
                    "character_id": str(line["character_id"]),
                    "grant_id": str(line["grant_id"]),
                    "amount": int(line["amount"]),
                }
            )
    return dict(groups)


_HOLD_KINDS = (AccountKind.WALLET, AccountKind.AVAILABLE, AccountKind.HOLD)


def _locked(creator: User, currency: str) -> tuple[LedgerAccount, LedgerAccount, LedgerAccount]:
    """The creator's wallet, available and hold accounts in ``currency``, locked (in id
    order, as every debit of them locks them) so the balances read next stay true until
    this transaction ends. One query once the three exist."""
    found = {
        account.kind: account
        for account in LedgerAccount.objects.select_for_update()
        .filter(user=creator, currency=currency, kind__in=_HOLD_KINDS)
        .order_by("pk")
    }
    if len(found) < len(_HOLD_KINDS):
        for kind in _HOLD_KINDS:
            if kind not in found:
                account_for(owner=creator, kind=kind, currency=currency)
        return _locked(creator, currency)
    wallet, available, hold = (found[kind] for kind in _HOLD_KINDS)
    return wallet, available, hold


def _take(
    creator: User, *, amount: int, currency: str
) -> tuple[int, int, tuple[LedgerAccount, LedgerAccount, LedgerAccount]]:
    """How much of ``amount`` the wallet pays and how much the earnings pay, with the
    creator's (locked) wallet, available and hold accounts; or InsufficientFunds naming
    what is missing."""
    accounts = _locked(creator, currency)
    wallet, available, _ = accounts
    in_wallet = max(balance(account=wallet).amount, 0)
    from_wallet = min(amount, in_wallet)
    from_earnings = 0
    if from_wallet < amount and selectors.wallet_fees_from_earnings(user=creator):
        from_earnings = min(amount - from_wallet, max(balance(account=available).amount, 0))
    missing = amount - from_wallet - from_earnings
    if missing > 0:
        raise InsufficientFunds(
            f"This video's per-generation fees come to {format_minor(amount, currency)}, and "
            f"your wallet has {format_minor(in_wallet, currency)}: top up at least "
            f"{format_minor(missing, currency)} to generate it.",
            shortfall=missing,
            currency=currency,
            top_up_url=absolute_url("payments:earnings") + "#wallet",
        )
    return from_wallet, from_earnings, accounts


def _post_hold(
    hold: FeeHold,
    *,
    key: str,
    from_wallet: int,
    from_earnings: int,
    why: str = "",
    accounts: tuple[LedgerAccount, LedgerAccount, LedgerAccount] | None = None,
) -> None:
    """Move money between the creator's wallet/earnings and their hold account: positive
    parts into the hold, negative ones back out of it (``accounts``: the three, when
    the caller already locked them)."""
    wallet, available, held = accounts or _locked(hold.creator, hold.currency)
    total = from_wallet + from_earnings
    ledger_post(
        key=key,
        kind="fee.hold" if total > 0 else "fee.release",
        lines=[
            Line(wallet, Money(-from_wallet, hold.currency)),
            Line(available, Money(-from_earnings, hold.currency)),
            Line(held, Money(total, hold.currency)),
        ],
        memo=f"per-generation fees for request {hold.request_id}" + (f": {why}" if why else ""),
        meta={"request": str(hold.request_id), "hold": str(hold.pk)},
    )


@transaction.atomic(savepoint=False)
def fee_holds_place(*, request_id, creator: User, lines: Iterable[dict]) -> list[FeeHold]:
    """Hold a new request's per-generation fees, once per currency; InsufficientFunds
    (402) when the wallet (and earnings, if opted in) cannot cover them, which rolls the
    request back with the caller's transaction."""
    holds = []
    for currency, group in sorted(_by_currency(lines).items()):
        existing = FeeHold.objects.filter(request_id=request_id, currency=currency).first()
        if existing is not None:
            holds.append(existing)
            continue
        amount = sum(line["amount"] for line in group)
        from_wallet, from_earnings, accounts = _take(creator, amount=amount, currency=currency)
        hold = FeeHold.objects.create(
            request_id=request_id,
            creator=creator,
            currency=currency,
            amount=amount,
            from_wallet=from_wallet,
            from_earnings=from_earnings,
            lines=group,
        )
        _post_hold(
            hold,
            key=f"hold:{hold.pk}",
            from_wallet=from_wallet,
            from_earnings=from_earnings,
            accounts=accounts,
        )
        holds.append(hold)
    return holds


@transaction.atomic(savepoint=False)
def fee_holds_secure(*, request_id, creator: User, lines: Iterable[dict]) -> None:
    """At the policy check: make the request's holds match the fees the decision found
    (a prompt may name another licensed character). A larger fee takes the difference,
    a smaller one gives it back, a currency no longer owed is released. InsufficientFunds
    when the difference cannot be covered. Idempotent: a re-run finds them matching."""
    wanted = _by_currency(lines)
    current = {
        h.currency: h
        for h in FeeHold.objects.select_for_update()
        .select_related("creator")
        .filter(request_id=request_id)
    }
    for currency, held in current.items():
        if currency not in wanted and held.status == FeeHoldStatus.HELD:
            _release(held, reason="no longer owed")
    for currency, group in sorted(wanted.items()):
        found = current.get(currency)
        if found is None:
            fee_holds_place(request_id=request_id, creator=creator, lines=_with(group, currency))
        elif found.status == FeeHoldStatus.HELD and found.lines != group:
            _resize(found, group)


def _with(group: list[dict], currency: str) -> list[dict]:
    return [{**line, "currency": currency} for line in group]


def _resize(hold: FeeHold, group: list[dict]) -> None:
    """Change a held amount to ``group``'s total: take more as a new hold would, or
    give back earnings first, then wallet credit."""
    amount = sum(line["amount"] for line in group)
    delta = amount - hold.amount
    hold.revision += 1
    key = f"hold:{hold.pk}:r{hold.revision}"
    if delta > 0:
        from_wallet, from_earnings, _ = _take(hold.creator, amount=delta, currency=hold.currency)
    else:
        from_earnings = -min(-delta, hold.from_earnings)
        from_wallet = delta - from_earnings
    if delta:
        _post_hold(hold, key=key, from_wallet=from_wallet, from_earnings=from_earnings)
    hold.amount = amount
    hold.from_wallet += from_wallet
    hold.from_earnings += from_earnings
    hold.lines = group
    hold.save(update_fields=["amount", "from_wallet", "from_earnings", "lines", "revision"])


def fee_holds_capture(*, request_id) -> int:
    """The request published its work: pay each held fee to its character's
    rightsholders (one revenue event per character, settled from the hold). Returns how
    many holds this call captured (0 on a re-run)."""
    captured = 0
    with transaction.atomic(savepoint=False):
        holds = FeeHold.objects.select_for_update().select_related("creator")
        for hold in holds.filter(request_id=request_id, status=FeeHoldStatus.HELD):
            grants = {
                str(pk): grant
                for pk, grant in licensing_selectors.grants_by_id(
                    ids=[line["grant_id"] for line in hold.lines]
                ).items()
            }
            for line in hold.lines:
                event, _ = revenue_event_record(
                    kind=RevenueKind.GENERATION_FEE,
                    source="internal",
                    external_id=f"generation:{request_id}:{line['character_id']}",
                    money=Money(line["amount"], hold.currency),
                    grant=grants[line["grant_id"]],
                    payer=hold.creator,
                )
                revenue_event_settle(event=event)
            hold.status = FeeHoldStatus.CAPTURED
            hold.settled_at = timezone.now()
            hold.save(update_fields=["status", "settled_at"])
            captured += 1
    return captured


def fee_holds_release(*, request_id, reason: str) -> int:
    """The request ended without a published work: give its held fees back. Returns how
    many holds this call released (0 on a re-run)."""
    released = 0
    with transaction.atomic(savepoint=False):
        holds = FeeHold.objects.select_for_update().select_related("creator")
        for hold in holds.filter(request_id=request_id, status=FeeHoldStatus.HELD):
            _release(hold, reason=reason)
            released += 1
    return released


def _release(hold: FeeHold, *, reason: str) -> None:
    _post_hold(
        hold,
        key=f"hold-release:{hold.pk}",
        from_wallet=-hold.from_wallet,
        from_earnings=-hold.from_earnings,
        why=f"released ({reason})"[:200],
    )
    hold.status = FeeHoldStatus.RELEASED
    hold.settled_at = timezone.now()
    hold.save(update_fields=["status", "settled_at"])
