"""Payments writes. Import from here: ``from payments import services``."""

from payments.services._charges import generation_fees_charge
from payments.services.escrow import escrow_settle
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
from payments.services.payouts import (
    payout_confirm,
    payout_fail,
    payout_submit,
    payouts_create,
    payouts_run,
)
from payments.services.revenue import (
    ledger_release_pending,
    revenue_event_record,
    revenue_event_settle,
    settlement_lines,
)
from payments.services.stripe_flows import (
    checkout_completed,
    checkout_expired,
    checkout_for_grant,
    checkout_for_tip,
    connect_account_sync,
    connect_onboarding_link,
    revenue_reverse,
    stripe_gateway,
    webhook_handle,
)
from payments.services.webhooks import WebhookRejected, webhook_receive

__all__ = [
    "LedgerError",
    "Line",
    "WebhookRejected",
    "account_for",
    "balance",
    "balances_for",
    "checkout_completed",
    "checkout_expired",
    "checkout_for_grant",
    "checkout_for_tip",
    "connect_account_sync",
    "connect_onboarding_link",
    "escrow_settle",
    "generation_fees_charge",
    "ledger_post",
    "ledger_release_pending",
    "ledger_totals",
    "payout_confirm",
    "payout_fail",
    "payout_submit",
    "payouts_create",
    "payouts_run",
    "platform_account",
    "revenue_event_record",
    "revenue_event_settle",
    "revenue_reverse",
    "settlement_lines",
    "stripe_gateway",
    "webhook_handle",
    "webhook_receive",
]
