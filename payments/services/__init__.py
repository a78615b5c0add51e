"""Payments writes. Import from here: ``from payments import services``."""

from payments.services._charges import generation_fees_charge
from payments.services.ledger import (
    LedgerError,
    Line,
    account_for,
    balance,
    balances_for,
    ledger_post,
    ledger_totals,
    platform_account,
)
from payments.services.revenue import (
    ledger_release_pending,
    revenue_event_record,
    revenue_event_settle,
    settlement_lines,
)

__all__ = [
    "LedgerError",
    "Line",
    "account_for",
    "balance",
    "balances_for",
    "generation_fees_charge",
    "ledger_post",
    "ledger_release_pending",
    "ledger_totals",
    "platform_account",
    "revenue_event_record",
    "revenue_event_settle",
    "settlement_lines",
]
