"""Earnings on other apps' pages (the creator's "My works"). Payments sits above
marketplace, so a marketplace view cannot ask what a work earned; its template asks
here, as the split tags do (splits.py)."""

from django import template

from core.money import Money
from payments import selectors_stats

register = template.Library()


@register.simple_tag(takes_context=True)
def with_earnings(context, generations) -> list[tuple]:
    """``{% with_earnings generations as rows %}``: each request paired with what its
    work earned the signed-in creator (a list of Money, one per currency; empty when
    it earned nothing or has no work), read in one query for the whole list."""
    generations = list(generations)
    work_ids = [g.work.pk for g in generations if _work(g) is not None]
    earned = selectors_stats.earned_per_work(owner=context["request"].user, work_ids=work_ids)
    rows = []
    for g in generations:
        work = _work(g)
        amounts = earned.get(str(work.pk), []) if work is not None else []
        rows.append((g, [Money(total, currency) for currency, total in amounts]))
    return rows


def _work(generation):
    try:
        return generation.work
    except generation.__class__.work.RelatedObjectDoesNotExist:
        return None
