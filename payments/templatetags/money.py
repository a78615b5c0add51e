"""``{{ amount|minor:currency }}``: an amount in minor units, shown as money."""

from django import template

from core.money import format_minor

register = template.Library()


@register.filter
def minor(amount: int, currency: str) -> str:
    return format_minor(int(amount or 0), currency)
