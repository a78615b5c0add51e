"""Stripe's documented test cards (https://docs.stripe.com/testing), as the sandbox's
Checkout page judges them: the success cards pay, the decline cards are declined with
Stripe's own words, and any other number is refused as Stripe refuses a real card in
test mode."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

SUCCESS = {  # in the order the Checkout page lists them
    "4242424242424242": "visa",
    "4000056655665556": "visa",
    "5555555555554444": "mastercard",
    "378282246310005": "amex",
    "4000000000000077": "visa",  # funds go straight to the available balance
}
DECLINES = {
    "4000000000000002": ("generic_decline", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000009987": ("lost_card", "Your card was declined."),
    "4000000000009979": ("stolen_card", "Your card was declined."),
    "4000000000000069": ("expired_card", "Your card has expired."),
    "4000000000000127": ("incorrect_cvc", "Your card's security code is incorrect."),
    "4000000000000119": ("processing_error", "An error occurred while processing your card."),
}
LIVE_CARD = (
    "Your card was declined. Your request was in test mode, but used a non test (live) "
    "card. For a list of valid test cards, visit: https://stripe.com/docs/testing."
)


@dataclass(frozen=True)
class CardDecision:
    ok: bool
    message: str = ""
    field: str = "number"
    decline_code: str | None = None
    brand: str = "visa"
    last4: str = ""


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _expiry(raw: str, today: datetime.date) -> str | None:
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*", raw or "")
    if not match:
        return "Your card's expiration date is incomplete."
    month, year = int(match.group(1)), int(match.group(2))
    year += 2000 if year < 100 else 0
    if not 1 <= month <= 12:
        return "Your card's expiration month is invalid."
    if (year, month) < (today.year, today.month):
        return "Your card's expiration year is in the past."
    return None


def card_judge(*, number: str, expiry: str, cvc: str, today: datetime.date) -> CardDecision:
    """What Stripe's test mode does with this card: pay, or decline with its reason."""
    digits = re.sub(r"[\s-]", "", number or "")
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not _luhn(digits):
        return CardDecision(False, "Your card number is invalid.", "number")
    problem = _expiry(expiry, today)
    if problem:
        return CardDecision(False, problem, "expiry")
    if not re.fullmatch(r"\d{3,4}", (cvc or "").strip()):
        return CardDecision(False, "Your card's security code is incomplete.", "cvc")
    if digits in DECLINES:
        code, message = DECLINES[digits]
        return CardDecision(False, message, "number", code, last4=digits[-4:])
    if digits not in SUCCESS:
        return CardDecision(False, LIVE_CARD, "number", "live_mode_test_card", last4=digits[-4:])
    return CardDecision(True, brand=SUCCESS[digits], last4=digits[-4:])
