from enum import StrEnum

from django.db import models


class AccountKind(models.TextChoices):
    AVAILABLE = "available", "Available"
    PENDING = "pending", "Pending"
    ESCROW = "escrow", "Escrow"
    PLATFORM_REVENUE = "platform_revenue", "Platform revenue"
    STRIPE_CLEARING = "stripe_clearing", "Stripe clearing"
    # A creator's credits for per-generation fees (topped up through Checkout), and the
    # part of them (or of their earnings) held for generation requests in flight.
    WALLET = "wallet", "Wallet"
    HOLD = "hold", "Held for generations"
    # What the platform is owed back: a refund's share that its recipient was already
    # paid, until the transfer reversal brings it back.
    RECEIVABLE = "receivable", "Owed back to the platform"


# Accounts that belong to a person or an organization; the others are the platform's.
# PostgreSQL refuses any entry that would take one of these below zero (payments
# migration 0004); only the platform's own accounts (escrow, platform revenue, Stripe
# clearing, receivable) may be negative.
PARTY_KINDS = frozenset(
    {AccountKind.AVAILABLE, AccountKind.PENDING, AccountKind.WALLET, AccountKind.HOLD}
)


class RevenueKind(models.TextChoices):
    LICENSE_FEE = "license_fee", "Licence fee"
    GENERATION_FEE = "generation_fee", "Per-generation fee"
    TIP = "tip", "Tip"
    AD_REVENUE = "ad_revenue", "Ad revenue"


class RevenueStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    SETTLED = "settled", "Settled"
    REFUNDED = "refunded", "Refunded"


class FeeHoldStatus(models.TextChoices):
    HELD = "held", "Held"
    CAPTURED = "captured", "Captured (paid to the rightsholders)"
    RELEASED = "released", "Released (back to the creator)"


class PayoutStatus(models.TextChoices):
    CREATED = "created", "Created"
    SUBMITTED = "submitted", "Submitted"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


PAYOUT_TRANSITIONS: dict[str, frozenset[str]] = {
    PayoutStatus.CREATED: frozenset({PayoutStatus.SUBMITTED, PayoutStatus.FAILED}),
    PayoutStatus.SUBMITTED: frozenset({PayoutStatus.PAID, PayoutStatus.FAILED}),
    PayoutStatus.PAID: frozenset({PayoutStatus.FAILED}),  # a reversal after the fact
    PayoutStatus.FAILED: frozenset(),
}


class CheckoutPurpose(models.TextChoices):
    LICENSE_FEE = "license_fee", "Licence fee"
    TIP = "tip", "Tip"
    WALLET_TOP_UP = "wallet_top_up", "Wallet top-up"


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETE = "complete", "Paid"
    EXPIRED = "expired", "Expired"
    REFUNDED = "refunded", "Refunded"


class RefundStatus(models.TextChoices):
    DUE = "due", "Due (the ledger is reversed; Stripe not asked yet)"
    SUBMITTED = "submitted", "Submitted to Stripe"
    FAILED = "failed", "Failed (staff must look)"


class PaymentsError(StrEnum):
    """Refusal codes of payments' services (beside core.errors.ErrorCode)."""

    PAYMENT_PROVIDER_UNAVAILABLE = "payment_provider_unavailable"
    # Why a withdrawal cannot be paid now (409).
    NO_CONNECTED_ACCOUNT = "no_connected_account"
    PAYOUTS_NOT_ENABLED = "payouts_not_enabled"
    PAYOUT_IN_PROGRESS = "payout_in_progress"
    BELOW_MINIMUM = "below_minimum"
    # A work whose licences do not all allow commercial use takes no tips or ad revenue.
    NON_COMMERCIAL = "non_commercial"
    OWN_WORK = "own_work"
    UNSUPPORTED_CURRENCY = "unsupported_currency"
