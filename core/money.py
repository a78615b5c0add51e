"""Money as integer minor units with a currency, the one way to split it, and the one
way to show it.

Every split in Cocreate goes through ``allocate``: the largest-remainder method, so the
parts always sum to the whole, none is negative, and ties go to the earlier weight
(deterministic: the same inputs always give the same parts)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import pycountry
from babel import Locale
from babel.numbers import format_currency

from core.locale import format_locale

BPS = 10_000

# ISO 4217 minor-unit exponents that differ from the usual 2. Kept explicit rather than
# derived, because pycountry does not carry them.
CURRENCY_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}


class CurrencyMismatch(ValueError):
    pass


@cache
def _iso_4217(code: str) -> bool:
    # A few codes, looked up once each: pycountry's own lookup costs more than the rest
    # of building a Money, and settlement builds millions of them.
    return pycountry.currencies.get(alpha_3=code) is not None


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units (cents, yen)
    currency: str  # ISO 4217, upper case

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(
                f"Money amounts are integers of minor units, not {type(self.amount).__name__}"
            )
        if len(self.currency) != 3 or self.currency != self.currency.upper():
            raise ValueError(f"{self.currency!r} is not an upper-case ISO 4217 code")
        if not _iso_4217(self.currency):
            raise ValueError(f"{self.currency!r} is not an ISO 4217 currency")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def __str__(self) -> str:
        return format_minor(self.amount, self.currency)


def allocate(total: Money, weights_bps: Sequence[int]) -> list[Money]:
    """Split ``total`` in proportion to ``weights_bps`` (basis points; they need not sum
    to 10,000, only be non-negative with a positive sum).

    Largest remainder: each part gets the floor of its exact share, and the minor units
    left over go one each to the parts with the largest remainders, earlier parts first
    on ties. The parts sum exactly to ``total``; for a non-negative total none is
    negative. A negative total (a reversal) is split as the mirror of its positive."""
    if not weights_bps:
        raise ValueError("allocate needs at least one weight")
    if any(w < 0 for w in weights_bps):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights_bps)
    if weight_sum <= 0:
        raise ValueError("weights must have a positive sum")
    if total.amount < 0:
        return [-part for part in allocate(-total, weights_bps)]
    floors = []
    remainders = []
    for index, weight in enumerate(weights_bps):
        share, remainder = divmod(total.amount * weight, weight_sum)
        floors.append(share)
        remainders.append((-remainder, index))  # largest remainder first, then index
    left = total.amount - sum(floors)
    for _, index in sorted(remainders)[:left]:
        floors[index] += 1
    return [Money(amount, total.currency) for amount in floors]


def currency_exponent(currency: str) -> int:
    """Digits after the decimal point in ``currency``'s major unit (ISO 4217)."""
    return CURRENCY_EXPONENTS.get(currency.upper(), 2)


def minor_to_major(amount: int, currency: str) -> Decimal:
    """``amount`` minor units as an exact decimal of major units: (2000, "USD") -> 20.00."""
    return Decimal(amount).scaleb(-currency_exponent(currency))


def format_minor(amount: int, currency: str, locale: str | None = None) -> str:
    """``amount`` minor units for people, in ``locale`` (by default the locale of the
    request being served, core/locale.py): "$20.00", "¥500", "€1,234.50" in en_US;
    "1 234,50 €" in fr_FR; "￥500" in ja_JP. Babel (CLDR) knows each locale's symbols,
    separators and sign; the digits shown are the currency's ISO 4217 exponent (the
    ledger's), so yen never shows cents."""
    code = currency.upper()
    babel_locale = _babel_locale(locale or format_locale())
    return format_currency(
        minor_to_major(amount, code),
        code,
        format=_currency_pattern(babel_locale, currency_exponent(code)),
        locale=babel_locale,
        currency_digits=False,
    )


@cache
def _babel_locale(name: str) -> Locale:
    return Locale.parse(name)


@cache
def _currency_pattern(locale: Locale, exponent: int) -> str:
    """The locale's standard currency pattern with ``exponent`` decimal places."""
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    number = "#,##0" + ("." + "0" * exponent if exponent else "")
    return re.sub(r"[#,0]+(?:\.0+)?", number, pattern, count=1)


def percent_from_bps(bps: int) -> str:
    """Basis points as an exact percentage number: 1500 -> "15", 1250 -> "12.5"."""
    whole, fraction = divmod(bps, 100)
    return f"{whole}.{fraction:02d}".rstrip("0").rstrip(".")


def format_bps(bps: int) -> str:
    """Basis points for people: 1500 -> "15%", 1250 -> "12.5%", 5 -> "0.05%"."""
    return f"{percent_from_bps(bps)}%"
