"""The storyline section of the rightsholder dashboard: for each storyline the user
runs, its takes per day over the period, what refused takes of it, and what its takes
earned the storyline's owner: four queries, and one per storyline for its earnings
(at most MAX_STORYLINES)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.models import Organization, User
from marketplace import selectors_storylines as storyline_selectors
from marketplace.models import Storyline
from payments import selectors_stats as payments_stats

PERIOD_DAYS = 30
MAX_STORYLINES = 10


@dataclass(frozen=True)
class StorylineAnalytics:
    storyline: Storyline
    days: list[tuple[date, int]]  # published takes on each day of the period, zeros included
    takes_total: int  # all time
    refusals: list[tuple[str, int]]  # (reason code, refused requests), most first
    earnings: dict[str, int]  # currency → minor units its takes earned the owner


def storyline_analytics(
    *, user: User, now: datetime | None = None
) -> list[StorylineAnalytics]:
    """The storylines the user runs (the newest MAX_STORYLINES), each with its numbers."""
    storylines = list(storyline_selectors.storylines_managed_by(user=user)[:MAX_STORYLINES])
    if not storylines:
        return []
    today = timezone.localdate(now or timezone.now())
    period = [today - timedelta(days=n) for n in range(PERIOD_DAYS - 1, -1, -1)]
    result = []
    for stats in storyline_selectors.storyline_stats(storylines=storylines):
        storyline = stats.storyline
        owner: User | Organization | None = (
            storyline.owner_organization or storyline.owner_user
        )
        per_day = dict(stats.takes_by_day)
        result.append(
            StorylineAnalytics(
                storyline=storyline,
                days=[(day, per_day.get(day, 0)) for day in period],
                takes_total=stats.takes_total,
                refusals=stats.refusals,
                earnings=payments_stats.earned_from_works(
                    owners=[owner] if owner else [], work_ids=stats.take_ids
                ),
            )
        )
    return result
