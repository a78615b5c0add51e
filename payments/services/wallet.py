"""A creator's wallet: credits in a currency that pay per-generation fees, topped up
through Stripe Checkout. A completed top-up moves the amount from Stripe clearing to the
creator's WALLET account (key ``topup:<checkout id>``); a refund or chargeback of it
takes back what is still in the wallet and books the rest as owed to the platform."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import stripe
from django.db import transaction

from core.errors import DomainError, ErrorCode
from core.links import absolute_url
from core.money import Money
from payments.enums import AccountKind, CheckoutPurpose, CheckoutStatus, PaymentsError
from payments.models import CheckoutSession, Wallet
from payments.services.ledger import Line, account_for, balances_for, ledger_post
from payments.services.provider_errors import provider_failed
from payments.services.reversals import party_debit_lines

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)
TOP_UP_MIN, TOP_UP_MAX = 500, 200_000
# Longer than any amount within the limits: a longer one is refused unread.
AMOUNT_MAX_DIGITS = 12


@dataclass(frozen=True)
class WalletLine:
    """One currency of a creator's wallet: what it holds, what is held for requests in
    flight, and the available earnings that may pay fees if they opted in."""

    currency: str
    wallet: int
    held: int
    earnings: int


def wallet_lines(*, user: User) -> list[WalletLine]:
    """Every currency the user has a wallet, hold or earnings balance in."""
    balances = balances_for(owner=user)
    currencies = sorted(
        {
            currency
            for (kind, currency) in balances
            if kind in (AccountKind.WALLET, AccountKind.HOLD, AccountKind.AVAILABLE)
        }
    )

    def amount(kind: str, currency: str) -> int:
        money = balances.get((kind, currency))
        return money.amount if money else 0

    return [
        WalletLine(
            currency=c,
            wallet=amount(AccountKind.WALLET, c),
            held=amount(AccountKind.HOLD, c),
            earnings=amount(AccountKind.AVAILABLE, c),
        )
        for c in currencies
    ]


def wallet_settings_set(*, user: User, fees_from_earnings: bool) -> Wallet:
    wallet, _ = Wallet.objects.update_or_create(
        user=user, defaults={"fees_from_earnings": fees_from_earnings}
    )
    return wallet


def top_up_money(*, amount: object, currency: object) -> Money:
    """The top-up as Money, from a form's text or a JSON number: a whole number of minor
    units within the limits, in an ISO 4217 currency; anything else refused naming the
    field (never an overflow, never a guess)."""
    code = str(currency or "").strip().upper()
    try:
        Money(0, code)
    except ValueError:
        shown = str(currency or "")[:12]
        raise DomainError(
            f"{shown!r} is not a currency Cocreate accepts: use an ISO 4217 code such as USD.",
            code=PaymentsError.UNSUPPORTED_CURRENCY,
            field="currency",
        ) from None
    if isinstance(amount, bool) or not isinstance(amount, int | str) or str(amount).strip() == "":
        raise DomainError("Choose an amount to add.", code=ErrorCode.REQUIRED, field="amount")
    text = str(amount).strip()
    limits = f"between {Money(TOP_UP_MIN, code)} and {Money(TOP_UP_MAX, code)}"
    if not text.isascii() or not text.isdigit() or len(text) > AMOUNT_MAX_DIGITS:
        raise DomainError(
            f"A top-up is a whole number of minor units {limits} ({TOP_UP_MIN} to {TOP_UP_MAX}).",
            field="amount",
        )
    money = Money(int(text), code)
    if not TOP_UP_MIN <= money.amount <= TOP_UP_MAX:
        raise DomainError(f"A top-up is {limits}.", field="amount")
    return money


def wallet_top_up_start(
    *, user: User, amount: object, currency: object, gateway
) -> CheckoutSession:
    """Check the amount and open a Checkout page for it. A provider failure is logged
    and raised as PaymentUnavailable, never shown raw."""
    money = top_up_money(amount=amount, currency=currency)
    attempt = CheckoutSession.objects.filter(
        payer=user, purpose=CheckoutPurpose.WALLET_TOP_UP
    ).count()
    try:
        session = gateway.checkout_session_create(
            key=f"topup-{user.pk}-{attempt}-{money.amount}{money.currency}",
            amount=money.amount,
            currency=money.currency,
            name=f"Cocreate wallet top-up ({money})",
            success_url=absolute_url("payments:checkout_done") + "?session={CHECKOUT_SESSION_ID}",
            cancel_url=absolute_url("payments:earnings") + "#wallet",
            transfer_group=f"wallet-{user.pk}",
            metadata={"purpose": CheckoutPurpose.WALLET_TOP_UP, "user_id": str(user.pk)},
            customer_email=user.email,
        )
    except stripe.StripeError as exc:
        raise provider_failed(exc, doing="start the top-up", context=f"user {user.pk}") from exc
    return CheckoutSession.objects.create(
        stripe_session_id=session.id,
        purpose=CheckoutPurpose.WALLET_TOP_UP,
        payer=user,
        amount=money.amount,
        currency=money.currency,
        url=session.url,
    )


def wallet_top_up_credit(*, local: CheckoutSession) -> None:
    """A paid top-up (its session locked and just marked complete by the caller): the
    money goes into the payer's wallet, once."""
    money = Money(local.amount, local.currency)
    clearing = account_for(owner=None, kind=AccountKind.STRIPE_CLEARING, currency=money.currency)
    wallet = account_for(owner=local.payer, kind=AccountKind.WALLET, currency=money.currency)
    ledger_post(
        key=f"topup:{local.pk}",
        kind="wallet.top_up",
        lines=[Line(clearing, -money), Line(wallet, money)],
        memo=f"wallet top-up {local.stripe_session_id}",
        meta={"checkout": str(local.pk)},
    )


def wallet_top_up_reverse(*, payment_intent_id: str, reason: str) -> bool:
    """A refunded or charged-back top-up: take the amount back out of the wallet, as far
    as it is still there; the rest (already spent on fees) is owed to the platform.
    Idempotent on the refund's key. Returns whether the payment was a top-up."""
    local = CheckoutSession.objects.filter(
        payment_intent_id=payment_intent_id, purpose=CheckoutPurpose.WALLET_TOP_UP
    ).first()
    if local is None:
        return False
    with transaction.atomic():
        local = CheckoutSession.objects.select_for_update().get(pk=local.pk)
        money = Money(local.amount, local.currency)
        wallet = account_for(owner=local.payer, kind=AccountKind.WALLET, currency=money.currency)
        clearing = account_for(
            owner=None, kind=AccountKind.STRIPE_CLEARING, currency=money.currency
        )
        ledger_post(
            key=f"topup-{reason}:{local.pk}",
            kind="wallet.top_up_reversal",
            lines=[*party_debit_lines(wallet, money), Line(clearing, money)],
            memo=f"wallet top-up {reason}",
            meta={"checkout": str(local.pk)},
        )
        local.status = CheckoutStatus.REFUNDED
        local.save(update_fields=["status", "updated_at"])
    return True
