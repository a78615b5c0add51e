"""Escrow: revenue of a disputed work waits here, per claim, until that claim's dispute
is settled.

Each revenue transaction that went to escrow records in its meta which disputed claims
hold how much of it (``escrow_claims``, equal shares). Settling one dispute moves only
that claim's shares, under the key ``escrow-out:<claim>:<revenue key>``; another claim's
shares of the same revenue stay held until its own dispute settles. Transactions held
before escrow was kept per claim (no ``escrow_claims``) move whole with the first
dispute settled, under ``escrow-out:<revenue key>``, as they always did."""

from django.db import transaction

from core.money import Money, allocate
from payments.enums import AccountKind
from payments.models import LedgerEntry, LedgerTransaction, RevenueEvent
from payments.services.ledger import Line, account_for, ledger_post
from payments.services.revenue import escrow_intended_recipients


def _held(txn: LedgerTransaction, claim_id) -> tuple[str, int] | None:
    """The key moving this claim's part of ``txn`` out of escrow, and the amount; None
    when the claim holds nothing of it."""
    shares = txn.meta.get("escrow_claims")
    if shares is None:
        entries = LedgerEntry.objects.filter(transaction=txn, account__kind=AccountKind.ESCROW)
        return f"escrow-out:{txn.key}", sum(e.amount for e in entries)
    amount = shares.get(str(claim_id), 0)
    return (f"escrow-out:{claim_id}:{txn.key}", amount) if amount > 0 else None


def escrow_settle(*, work_id, claim_id, to_claimant=None) -> int:
    """Move the claim's escrowed shares of the work's revenue out of escrow, once per
    revenue transaction: to the recipients the split engine names, in proportion to what
    each would have had (a released claim), or all to the claimant organization (an
    upheld one). Returns how many transactions moved."""
    moved = 0
    with transaction.atomic():
        held = LedgerTransaction.objects.filter(
            meta__work=str(work_id), meta__escrow=True
        ).order_by("created_at", "id")
        for txn in held:
            found = _held(txn, claim_id)
            if found is None:
                continue
            key, amount = found
            if amount <= 0 or LedgerTransaction.objects.filter(key=key).exists():
                continue
            escrow = LedgerEntry.objects.filter(
                transaction=txn, account__kind=AccountKind.ESCROW
            ).select_related("account")[0]
            currency = escrow.currency
            lines = [Line(escrow.account, Money(-amount, currency), work_id)]
            if to_claimant is not None:
                claimant = account_for(
                    owner=to_claimant, kind=AccountKind.PENDING, currency=currency
                )
                lines.append(Line(claimant, Money(amount, currency), work_id))
            else:
                recipients = escrow_intended_recipients(RevenueEvent.objects.get(transaction=txn))
                parts = allocate(Money(amount, currency), [share for _, share in recipients])
                for (owner, _), part in zip(recipients, parts, strict=True):
                    if part.amount:
                        account = account_for(
                            owner=owner, kind=AccountKind.PENDING, currency=currency
                        )
                        lines.append(Line(account, part, work_id))
            ledger_post(
                key=key,
                kind="escrow.out",
                lines=lines,
                memo="escrow to the claimant (claim upheld)"
                if to_claimant
                else "escrow released to recipients",
                meta={"of": txn.key, "work": str(work_id), "claim": str(claim_id)},
            )
            moved += 1
    return moved
