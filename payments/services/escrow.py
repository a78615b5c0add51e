"""Escrow: revenue of a disputed work waits here until the dispute is settled."""

from django.db import transaction

from core.money import Money
from payments.enums import AccountKind
from payments.models import LedgerEntry, LedgerTransaction, RevenueEvent
from payments.services.ledger import Line, account_for, ledger_post
from payments.services.revenue import escrow_intended_recipients


def escrow_settle(*, work_id, to_claimant=None) -> int:
    """Move every escrowed amount of the work out of escrow, once per revenue
    transaction: to the recipients the split engine names (a released claim), or all to
    the claimant organization (an upheld one). Returns how many transactions moved."""
    moved = 0
    with transaction.atomic():
        held = LedgerTransaction.objects.filter(
            meta__work=str(work_id), meta__escrow=True
        ).order_by("created_at", "id")
        for txn in held:
            key = f"escrow-out:{txn.key}"
            if LedgerTransaction.objects.filter(key=key).exists():
                continue
            entries = LedgerEntry.objects.filter(transaction=txn, account__kind=AccountKind.ESCROW)
            total = sum(e.amount for e in entries)
            if total <= 0:
                continue
            currency = entries[0].currency
            escrow = entries[0].account
            lines = [Line(escrow, Money(-total, currency), work_id)]
            if to_claimant is not None:
                claimant = account_for(
                    owner=to_claimant, kind=AccountKind.PENDING, currency=currency
                )
                lines.append(Line(claimant, Money(total, currency), work_id))
            else:
                event = RevenueEvent.objects.get(transaction=txn)
                for owner, amount in escrow_intended_recipients(event):
                    account = account_for(owner=owner, kind=AccountKind.PENDING, currency=currency)
                    lines.append(Line(account, Money(amount, currency), work_id))
            ledger_post(
                key=key,
                kind="escrow.out",
                lines=lines,
                memo="escrow to the claimant (claim upheld)"
                if to_claimant
                else "escrow released to recipients",
                meta={"of": txn.key, "work": str(work_id)},
            )
            moved += 1
    return moved
