"""Storyline reads: the open storylines, one storyline with its cast, its takes ranked
by a transparent score, and the numbers its owner's dashboard shows."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Power, TruncDate
from django.utils import timezone

from core.ratelimit import CACHE_DOWN_ERRORS
from licensing import selectors as licensing_selectors
from marketplace import selectors as marketplace_selectors
from marketplace.enums import GenerationStatus, StorylineStatus, WorkStatus
from marketplace.models import (
    GenerationRequest,
    Storyline,
    StorylineCharacter,
    Work,
    WorkLicense,
)

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from accounts.models import User

# How many takes a storyline's page ranks (the most recent ones): bounded, never "all".
RANK_LIMIT = 200
# The ranking's constants (take_score's docstring gives the formula).
REMIX_WEIGHT = 3
AGE_OFFSET_HOURS = 2
GRAVITY = 1.5


class TakeRank(NamedTuple):
    """A take's score and the parts it is made of, shown beside it (``_asdict()`` is
    the API's ``rank``)."""

    likes: int
    remixes: int
    age_hours: float
    featured: bool
    score: float


def take_score(*, likes: int, remixes: int, age_hours: float) -> float:
    """How a take ranks within its storyline (higher first):

        score = (likes + 3 * remixes + 1) / (age_hours + 2) ^ 1.5

    Likes are viewers' likes of the take; remixes are its published children (a take
    others build on counts three likes); age is hours since it was published. The +1
    lets a new take with nothing yet rank by its freshness, the +2 keeps a take of a
    few minutes from dividing by almost nothing, and the power 1.5 makes a take fall
    as it ages (the Hacker News gravity). Featured takes come before all others, each
    group by score, ties by the newest."""
    age = max(age_hours, 0.0)
    return (likes + REMIX_WEIGHT * remixes + 1) / (age + AGE_OFFSET_HOURS) ** GRAVITY


def _licenses() -> Prefetch:
    return Prefetch(
        "licenses", queryset=WorkLicense.objects.select_related("character").order_by("id")
    )


def _with_relations(qs: QuerySet[Storyline]) -> QuerySet[Storyline]:
    return qs.select_related(
        "owner_organization", "owner_user", "opening__creator"
    ).prefetch_related(
        Prefetch(
            "cast",
            queryset=StorylineCharacter.objects.select_related("character", "offer").order_by("id"),
        ),
        "joiners",
    )


def storylines_open(*, now: datetime | None = None) -> QuerySet[Storyline]:
    """Open storylines that have not ended, soonest ending first, with their cast and
    how many published takes each has: a constant number of queries."""
    now = now or timezone.now()
    return _with_relations(
        Storyline.objects.filter(status=StorylineStatus.OPEN, ends_at__gt=now).annotate(
            take_count=Count("takes", filter=Q(takes__status=WorkStatus.PUBLISHED))
        )
    ).order_by("ends_at", "id")


def storylines_of_character(*, character_id, now: datetime | None = None) -> list[Storyline]:
    """The open storylines a character is cast in (its page links them)."""
    return list(storylines_open(now=now).filter(cast__character_id=character_id).distinct()[:10])


def storyline_get(*, pk) -> Storyline | None:
    """One storyline with its owner, cast, joiners and opening; anyone may see it."""
    return _with_relations(Storyline.objects.filter(pk=pk)).first()


def storylines_managed_by(*, user: User) -> QuerySet[Storyline]:
    """The storylines the user runs: theirs, and their organizations' (owner or
    manager)."""
    organizations = licensing_selectors.editable_organization_ids(user=user)
    return _with_relations(
        Storyline.objects.filter(Q(owner_user=user) | Q(owner_organization__in=organizations))
    ).order_by("-starts_at", "id")


class _HoursSince(Func):
    """Hours (a float) from a timestamp expression to ``now``."""

    output_field = FloatField()

    def __init__(self, expression, *, now: datetime) -> None:
        super().__init__(Value(now, output_field=DateTimeField()), expression)

    def as_sql(
        self,
        compiler,
        connection,
        function=None,
        template=None,
        arg_joiner=None,
        **extra_context,
    ):
        (now_sql, now_params), (then_sql, then_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        params = (*now_params, *then_params)
        if connection.vendor == "postgresql":
            return f"(EXTRACT(EPOCH FROM ({now_sql} - {then_sql})) / 3600.0)::float8", params
        return f"((julianday({now_sql}) - julianday({then_sql})) * 24.0)", params


def _recent_takes(storyline_id, limit: int) -> QuerySet[Work, Any]:
    """The ids of the storyline's ``limit`` most recent published takes (a subquery),
    read by the partial index on (storyline, -published_at, -id) of published works."""
    return (
        Work.objects.filter(storyline_id=storyline_id, status=WorkStatus.PUBLISHED)
        .order_by("-published_at", "-id")
        .values("pk")[:limit]
    )


def _ranked(qs: QuerySet[Work], *, storyline: Storyline, now: datetime) -> QuerySet[Work]:
    """``take_score`` in SQL, from the works' counters: ``age_hours``, ``score`` and
    ``is_featured`` on each row, ordered as the storyline shows them."""
    featured = Storyline.featured.through.objects.filter(
        storyline_id=storyline.pk, work_id=OuterRef("pk")
    )
    age = Greatest(_HoursSince(Coalesce("published_at", "created_at"), now=now), Value(0.0))
    points = F("like_count") + REMIX_WEIGHT * F("remix_count") + 1
    return qs.annotate(
        is_featured=Exists(featured),
        age_hours=age,
        score=ExpressionWrapper(
            points * 1.0 / Power(F("age_hours") + Value(float(AGE_OFFSET_HOURS)), GRAVITY),
            output_field=FloatField(),
        ),
        newest=Coalesce("published_at", "created_at"),
    ).order_by("-is_featured", "-score", "-newest", "-id")


def storyline_takes_ranked(
    *, storyline: Storyline, now: datetime | None = None, limit: int = RANK_LIMIT
) -> list[Work]:
    """The storyline's ``limit`` most recent published takes, each with ``.rank`` (a
    TakeRank), featured first, then by ``take_score``, ties by the newest. The score is
    computed in the database from the works' counters (likes, published remixes), so
    nothing is counted and two queries run whatever the number of takes (the takes
    with their creators and parents, their licences); the window of recent takes is read
    by the partial index on (storyline, -published_at, -id) of published works."""
    now = now or timezone.now()
    window = _recent_takes(storyline.pk, limit)
    takes: list[Work] = list(
        _ranked(Work.objects.filter(pk__in=window), storyline=storyline, now=now)
        .select_related("creator", "parent")
        .prefetch_related(_licenses())
    )
    for work in takes:
        work.rank = TakeRank(  # type: ignore[attr-defined]
            likes=work.like_count,
            remixes=work.remix_count,
            age_hours=work.age_hours,  # type: ignore[attr-defined]
            featured=work.is_featured,  # type: ignore[attr-defined]
            score=work.score,  # type: ignore[attr-defined]
        )
    return takes


# A page of the takes API.
TAKES_PAGE = 24


def _ranking_key(storyline_id) -> str:
    return f"storyline-ranking:1:{storyline_id}"


def _ranking_parts(storyline_id) -> list[tuple[str, float, int, int, bool]]:
    """What the ranking of the storyline's ``RANK_LIMIT`` most recent published takes
    is made of, one tuple per take: (work id, published at as seconds since the epoch,
    likes, remixes, featured). One query, no payload: the index window, the counters
    and the featured flags."""
    featured = Storyline.featured.through.objects.filter(
        storyline_id=storyline_id, work_id=OuterRef("pk")
    )
    rows = (
        Work.objects.filter(
            pk__in=_recent_takes(storyline_id, RANK_LIMIT), feed_entry__isnull=False
        )
        .annotate(is_featured=Exists(featured), newest=Coalesce("published_at", "created_at"))
        .order_by()
        .values_list("pk", "newest", "like_count", "remix_count", "is_featured")
    )
    return [
        (str(pk), newest.timestamp(), likes, remixes, bool(flag))
        for pk, newest, likes, remixes, flag in rows
    ]


def storyline_ranking(
    *, storyline_id, now: datetime | None = None
) -> list[tuple[str, TakeRank]] | None:
    """The storyline's ranked takes as ``storyline_takes_ranked`` orders them (featured
    first, then ``take_score``, ties by the newest), as (work id, TakeRank) pairs; None
    for no such storyline.

    The parts (``_ranking_parts``) are kept in the cache for
    ``settings.STORYLINE_RANKING_CACHE_SECONDS`` and forgotten (``storyline_rankings_forget``)
    by every write that changes them: a take published or leaving the feed, a like taken
    or given, a remix of a take published or leaving it, a take featured or not. The age
    and the score are computed here, per request, from ``now``: a cached ranking is never
    older than the last write that would change it."""
    now = now or timezone.now()
    seconds = settings.STORYLINE_RANKING_CACHE_SECONDS
    key = _ranking_key(storyline_id)
    parts = None
    if seconds:
        # The cache only spares the query: out of reach, the database answers.
        with contextlib.suppress(*CACHE_DOWN_ERRORS):
            parts = cache.get(key)
    if parts is None:
        parts = _ranking_parts(storyline_id)
        # Takes name their storyline: with none, ask whether it exists.
        if not parts and not Storyline.objects.filter(pk=storyline_id).exists():
            return None
        if seconds and parts:
            with contextlib.suppress(*CACHE_DOWN_ERRORS):
                cache.set(key, parts, seconds)
    moment = now.timestamp()
    ranked = []
    for pk, newest, likes, remixes, featured in parts:
        age = max((moment - newest) / 3600.0, 0.0)
        score = take_score(likes=likes, remixes=remixes, age_hours=age)
        ranked.append((featured, score, newest, pk, TakeRank(likes, remixes, age, featured, score)))
    ranked.sort(key=lambda row: row[:4], reverse=True)
    return [(row[3], row[4]) for row in ranked]


def storyline_rankings_forget(*, storyline_ids: Iterable) -> None:
    """Forget the cached rankings of these storylines when the current transaction
    commits (at once outside one): the next read ranks their takes afresh."""
    keys = [_ranking_key(pk) for pk in {str(pk) for pk in storyline_ids if pk}]
    if keys:
        transaction.on_commit(functools.partial(_forget, keys))


def _forget(keys: list[str]) -> None:
    # The write has committed: a cache out of reach must not fail it. Its rankings then
    # live out their STORYLINE_RANKING_CACHE_SECONDS (a restarted Redis holds none).
    try:
        cache.delete_many(keys)
    except CACHE_DOWN_ERRORS:
        logger.warning("storyline rankings not forgotten (cache out of reach): %s", keys)


def storyline_take_cards(
    *,
    storyline_id,
    page: int = 1,
    per_page: int = TAKES_PAGE,
    now: datetime | None = None,
) -> tuple[list[tuple[dict, TakeRank]], bool] | None:
    """One page of ``storyline_ranking``'s order as the takes API shows it: each take's
    feed card (its ``FeedEntry`` payload, marketplace/services/feed.py) with its
    TakeRank, and whether a next page exists; None for no such storyline. With the
    ranking cached, one query (the page's 24 cards by primary key); without, two (the
    ranking's parts, then the cards). No model instance."""
    ranking = storyline_ranking(storyline_id=storyline_id, now=now)
    if ranking is None:
        return None
    start = (page - 1) * per_page
    rows = ranking[start : start + per_page]
    if not rows:
        return [], False
    cards_by_id = marketplace_selectors.feed_cards_by_ids(ids=[pk for pk, _ in rows])
    cards = [(cards_by_id[pk], rank) for pk, rank in rows if pk in cards_by_id]
    return cards, len(ranking) > start + per_page


def storyline_opening(*, storyline: Storyline) -> Work | None:
    """The storyline's opening video, if it is published, as the feed shows a work."""
    if storyline.opening_id is None:
        return None
    return (
        Work.objects.filter(pk=storyline.opening_id, status=WorkStatus.PUBLISHED)
        .select_related("creator", "parent")
        .prefetch_related(_licenses())
        .first()
    )


def storyline_take_of(*, storyline: Storyline, pk) -> Work | None:
    """One take of the storyline (for featuring), or None."""
    return Work.objects.filter(storyline=storyline, pk=pk).first()


@dataclass(frozen=True)
class StorylineStats:
    storyline: Storyline
    takes_by_day: list[tuple[date, int]]  # published takes per day (days with some)
    takes_total: int
    refusals: list[tuple[str, int]]  # (reason code, refused requests), most first
    take_ids: list


def storyline_stats(*, storylines: list[Storyline]) -> list[StorylineStats]:
    """Per storyline: published takes per day, and the codes that refused its requests
    (the storyline's own rules and the licences' terms). Three queries in all."""
    ids = [s.pk for s in storylines]
    per_day: dict = {}
    for row in (
        Work.objects.filter(storyline_id__in=ids, status=WorkStatus.PUBLISHED)
        .annotate(day=TruncDate("published_at"))
        .values("storyline_id", "day")
        .annotate(n=Count("id"))
        .order_by("storyline_id", "day")
    ):
        per_day.setdefault(row["storyline_id"], []).append((row["day"], row["n"]))
    refused: dict = {}
    for storyline_id, reasons in GenerationRequest.objects.filter(
        storyline_id__in=ids, status=GenerationStatus.REFUSED
    ).values_list("storyline_id", "reasons")[:5000]:
        codes = {r.get("code") for r in reasons or [] if r.get("severity", "refuse") == "refuse"}
        counts = refused.setdefault(storyline_id, {})
        for code in codes or {"refused"}:
            counts[code] = counts.get(code, 0) + 1
    take_ids: dict = {}
    for storyline_id, work_id in Work.objects.filter(storyline_id__in=ids).values_list(
        "storyline_id", "id"
    ):
        take_ids.setdefault(storyline_id, []).append(work_id)
    return [
        StorylineStats(
            storyline=s,
            takes_by_day=per_day.get(s.pk, []),
            takes_total=sum(n for _, n in per_day.get(s.pk, [])),
            refusals=sorted(refused.get(s.pk, {}).items(), key=lambda kv: (-kv[1], kv[0])),
            take_ids=take_ids.get(s.pk, []),
        )
        for s in storylines
    ]
