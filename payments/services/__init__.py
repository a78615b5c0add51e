"""Payments writes. Import from here: ``from payments import services``."""

from payments.services.checkout import (
    checkout_completed,
    checkout_expired,
    checkout_for_grant,
    checkout_for_tip,
)
from payments.services.connect import connect_account_sync, connect_onboarding_link
from payments.services.escrow import escrow_settle
from payments.services.fee_holds import (
    fee_holds_capture,
    fee_holds_place,
    fee_holds_release,
    fee_holds_secure,
)
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
from payments.services.licences import (
    Acceptance,
    PaymentUnavailable,
    grant_checkout_start,
    offer_accept_and_pay,
)
from payments.services.payouts import (
    payout_confirm,
    payout_fail,
    payout_submit,
    payouts_create,
    payouts_run,
    payouts_submitted_settle,
)
from payments.services.provider_errors import provider_failed
from payments.services.refunds import licence_fees_refund, refund_submit, refunds_submit_due
from payments.services.revenue import (
    NotCommercial,
    ledger_release_pending,
    revenue_event_record,
    revenue_event_settle,
    settlement_lines,
    work_earning_refusal,
)
from payments.services.reversals import revenue_reverse
from payments.services.tips import tip_checkout_start, tip_money
from payments.services.wallet import (
    WalletLine,
    top_up_money,
    wallet_lines,
    wallet_settings_set,
    wallet_top_up_start,
)
from payments.services.webhooks import (
    WebhookRejected,
    webhook_handle,
    webhook_receive,
    webhooks_unhandled_resend,
)
from payments.services.withdrawals import PayoutRefused, payout_withdraw
from payments.stripe_gateway import stripe_gateway

__all__ = [
    "Acceptance",
    "LedgerError",
    "Line",
    "NotCommercial",
    "PaymentUnavailable",
    "PayoutRefused",
    "WalletLine",
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
    "fee_holds_capture",
    "fee_holds_place",
    "fee_holds_release",
    "fee_holds_secure",
    "grant_checkout_start",
    "ledger_post",
    "ledger_release_pending",
    "ledger_totals",
    "licence_fees_refund",
    "offer_accept_and_pay",
    "payout_confirm",
    "payout_fail",
    "payout_submit",
    "payout_withdraw",
    "payouts_create",
    "payouts_run",
    "payouts_submitted_settle",
    "platform_account",
    "provider_failed",
    "refund_submit",
    "refunds_submit_due",
    "revenue_event_record",
    "revenue_event_settle",
    "revenue_reverse",
    "settlement_lines",
    "stripe_gateway",
    "tip_checkout_start",
    "tip_money",
    "top_up_money",
    "wallet_lines",
    "wallet_settings_set",
    "wallet_top_up_start",
    "webhook_handle",
    "webhook_receive",
    "webhooks_unhandled_resend",
    "work_earning_refusal",
]
