"""Tipping a work: how much and in which currency, read from what a person typed, and
the Checkout page that takes the tip. Who may tip what is ``checkout_for_tip``'s rule:
a published, commercial work that is not the tipper's own."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import stripe

from core.errors import DomainError, ErrorCode
from core.money import Money
from payments.enums import PaymentsError
from payments.models import CheckoutSession
from payments.services.checkout import TIP_MAX, TIP_MIN, checkout_for_tip
from payments.services.provider_errors import provider_failed

if TYPE_CHECKING:
    from accounts.models import User

log = logging.getLogger(__name__)
# Longer than any amount within the limits: a longer one is refused unread.
AMOUNT_MAX_DIGITS = 12


def tip_money(*, amount: object, currency: object) -> Money:
    """The tip as Money, from a form's text or a JSON number: a whole number of minor
    units within the tip limits, in an ISO 4217 currency. Anything else is refused
    naming the field (never an overflow, never a guess)."""
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
    if isinstance(amount, bool) or not isinstance(amount, int | str):
        raise DomainError("Choose a tip amount.", code=ErrorCode.REQUIRED, field="amount")
    text = str(amount).strip()
    if not text.isascii() or not text.isdigit() or len(text) > AMOUNT_MAX_DIGITS:
        raise DomainError(
            f"A tip is a whole number of minor units between {TIP_MIN} and {TIP_MAX} "
            f"({Money(TIP_MIN, code)} to {Money(TIP_MAX, code)}).",
            field="amount",
        )
    return Money(int(text), code)


def tip_checkout_start(
    *, work, by: User, amount: object, currency: object, gateway
) -> CheckoutSession:
    """Check the tip and open its Checkout page. Refusals say why (your own video, a
    non-commercial one, an amount or currency out of bounds); a provider failure is
    logged and raised as PaymentUnavailable, never shown raw."""
    money = tip_money(amount=amount, currency=currency)
    try:
        return checkout_for_tip(work=work, by=by, money=money, gateway=gateway)
    except stripe.StripeError as exc:
        raise provider_failed(exc, doing="start the tip", context=f"work {work.pk}") from exc
