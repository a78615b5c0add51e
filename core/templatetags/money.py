"""Money in templates, always through core.money (the viewer's locale, the currency's
digits):

- ``{{ money|money }}`` for a ``Money``;
- ``{{ amount|money:currency }}`` for minor units and a currency code;
- ``{{ bps|percent }}`` for basis points ("15%", "12.5%")."""

from django import template

from core.money import Money, format_bps, format_minor

register = template.Library()


@register.filter
def money(value: Money | int | None, currency: str | None = None) -> str:
    if isinstance(value, Money):
        return format_minor(value.amount, value.currency)
    if currency is None:
        raise template.TemplateSyntaxError("money: an amount in minor units needs a currency")
    return format_minor(int(value or 0), currency)


@register.filter
def minor(amount: int | None, currency: str) -> str:
    """The older spelling of ``amount|money:currency``."""
    return format_minor(int(amount or 0), currency)


@register.filter
def percent(bps: int | None) -> str:
    return format_bps(int(bps or 0))
