"""Marketplace reads for the rightsholder dashboard: generations and works that feature
a set of characters, counted in the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate

from marketplace.enums import WorkStatus
from marketplace.models import GenerationRequest, Work, WorkLicense


def _featuring(character_ids: Iterable) -> Q:
    """Requests that use one of the characters: asked for it, remix a work showing it,
    or made a work that licensed it."""
    ids = list(character_ids)
    asked = GenerationRequest.characters.through.objects.filter(
        generationrequest_id=OuterRef("pk"), character_id__in=ids
    )
    parent_shows = WorkLicense.objects.filter(work_id=OuterRef("parent_id"), character_id__in=ids)
    work_shows = WorkLicense.objects.filter(work__request=OuterRef("pk"), character_id__in=ids)
    return Q(Exists(asked)) | Q(Exists(parent_shows)) | Q(Exists(work_shows))


def generation_counts_by_day(
    *, character_ids: Iterable, since: datetime
) -> list[tuple[date, int, int, int]]:
    """(day, requests, allowed, refused) for each day since ``since`` with at least one
    generation request featuring the characters, oldest first. Allowed and refused
    follow the request's policy decision; a request not checked yet is neither."""
    rows = (
        GenerationRequest.objects.filter(created_at__gte=since)
        .filter(_featuring(character_ids))
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            total=Count("id"),
            allowed=Count("id", filter=Q(decision__allowed=True)),
            refused=Count("id", filter=Q(decision__allowed=False)),
        )
        .order_by("day")
    )
    return [(row["day"], row["total"], row["allowed"], row["refused"]) for row in rows]


def work_ids_featuring(*, character_ids: Iterable) -> QuerySet:
    """The ids of works (not deleted) that licensed one of the characters, as a
    subquery for other apps' reads."""
    return (
        WorkLicense.objects.filter(character_id__in=list(character_ids))
        .exclude(work__status=WorkStatus.DELETED)
        .values("work_id")
    )


def published_work_count(*, character_ids: Iterable) -> int:
    """How many published works show one of the characters."""
    return Work.objects.filter(
        status=WorkStatus.PUBLISHED,
        pk__in=WorkLicense.objects.filter(character_id__in=list(character_ids)).values("work_id"),
    ).count()


def works_by_ids(*, ids: Iterable[str]) -> dict[str, Work]:
    """Work id → work, with its creator, for the given ids (unknown ids are absent)."""
    return {str(w.pk): w for w in Work.objects.filter(pk__in=list(ids)).select_related("creator")}
