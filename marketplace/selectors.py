"""Marketplace reads: the feed, works with their lineage, a creator's requests."""

import base64
import binascii
import uuid
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.dateparse import parse_datetime

from accounts.models import User
from licensing.enums import GrantStatus
from licensing.models import Grant
from marketplace.enums import WorkStatus
from marketplace.models import GenerationRequest, Work, WorkLicense
from payments.split import SplitLine

FEED_PAGE = 10
MAX_LINEAGE = 20


def _licenses() -> Prefetch:
    return Prefetch(
        "licenses", queryset=WorkLicense.objects.select_related("character").order_by("id")
    )


def encode_cursor(work: Work) -> str:
    assert work.published_at is not None  # only published works are in the feed
    raw = f"{work.published_at.isoformat()}|{work.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str] | None:
    try:
        published, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    try:
        moment = parse_datetime(published)
        uuid.UUID(pk)
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment, pk


def feed_page(*, cursor: str | None = None, size: int = FEED_PAGE) -> tuple[list[Work], str | None]:
    """Published works, newest first, keyset-paginated by (published_at, id): a
    constant number of queries and stable pages while new works arrive."""
    qs = (
        Work.objects.filter(status=WorkStatus.PUBLISHED)
        .select_related("creator", "parent")
        .prefetch_related(_licenses())
        .order_by("-published_at", "-id")
    )
    if cursor:
        position = _decode_cursor(cursor)
        if position is not None:
            moment, pk = position
            qs = qs.filter(Q(published_at__lt=moment) | Q(published_at=moment, id__lt=pk))
    works = list(qs[: size + 1])
    next_cursor = encode_cursor(works[size - 1]) if len(works) > size else None
    return works[:size], next_cursor


def feed_cursor_valid(*, cursor: str) -> bool:
    """Whether ``cursor`` is a ``next`` value the feed could have handed out."""
    return _decode_cursor(cursor) is not None


def works_list(
    *,
    user: User,
    mine: bool = False,
    creator_id=None,
    character_id=None,
    status: str | None = None,
) -> QuerySet[Work]:
    """Published works, newest first; with ``mine`` the user's own works in every state
    but deleted (``status`` narrows them). Optionally only one creator's, or only those
    licensing one character. Licences are prefetched: constant queries per page."""
    qs = Work.objects.select_related("creator", "parent").prefetch_related(_licenses())
    if mine:
        qs = qs.filter(creator_id=user.pk).exclude(status=WorkStatus.DELETED)
        if status:
            qs = qs.filter(status=status)
    else:
        qs = qs.filter(status=WorkStatus.PUBLISHED)
    if creator_id:
        qs = qs.filter(creator_id=creator_id)
    if character_id:
        qs = qs.filter(
            Exists(WorkLicense.objects.filter(work=OuterRef("pk"), character_id=character_id))
        )
    return qs.order_by("-created_at", "-id")


def work_visible_to(*, pk, user: User) -> Work | None:
    """A published work for anyone; any other state only for its creator, the people
    it shows (likeness owners) and its characters' rightsholders."""
    work = (
        Work.objects.select_related("creator", "parent", "request")
        .prefetch_related(_licenses())
        .filter(pk=pk)
        .first()
    )
    if work is None or work.status == WorkStatus.PUBLISHED:
        return work
    if work.status == WorkStatus.DELETED or not user.is_authenticated:
        return None
    if work.creator_id == user.pk:
        return work
    if work.status == WorkStatus.DELISTED:
        return None  # blocked or delisted: playable only by its creator
    from licensing.services import character_can_edit

    characters = [lic.character for lic in work.licenses.all()]
    characters += list(work.request.characters.all())
    return work if any(character_can_edit(character=c, user=user) for c in characters) else None


def work_ancestors(*, work: Work) -> list[Work]:
    """Parent, grandparent, ... up to the original (at most MAX_LINEAGE)."""
    chain: list[Work] = []
    current = work.parent
    while current is not None and len(chain) < MAX_LINEAGE:
        chain.append(current)
        if Work.parent.is_cached(current):  # loaded with its ancestors (works_for_split)
            current = current.parent
        else:
            current = Work.objects.select_related("parent", "creator").get(pk=current.pk).parent
    return chain


def work_descendants(*, work: Work, limit: int = 50) -> list[Work]:
    """Published remixes below this work, breadth first."""
    found: list[Work] = []
    frontier = [work.pk]
    while frontier and len(found) < limit:
        children = list(
            Work.objects.filter(parent_id__in=frontier, status=WorkStatus.PUBLISHED)
            .select_related("creator")
            .order_by("published_at", "id")[: limit - len(found)]
        )
        found.extend(children)
        frontier = [c.pk for c in children]
    return found


def work_split(*, work: Work) -> list[SplitLine]:
    """Who receives what share of this work's revenue: the split engine's weights."""
    from payments import selectors as payments_selectors

    return payments_selectors.work_split_lines(work=work)


def remix_split_preview(
    *, parent: Work, character_ids: list[str], creator: User
) -> list[SplitLine]:
    """The split a remix of ``parent`` with these extra characters would have, from the
    same engine that splits its revenue."""
    from payments import selectors as payments_selectors
    from payments.split import LicenseShare

    parent_chars = {str(lic.character_id) for lic in parent.licenses.all()}
    grants = (
        Grant.objects.filter(
            licensee=creator, status=GrantStatus.ACTIVE, character_id__in=character_ids
        )
        .exclude(character_id__in=parent_chars)
        .select_related("offer", "character__owner_organization", "character__owner_user")
    )
    extra = []
    for grant in grants:
        terms = grant.offer.parsed_terms
        extra.append(
            LicenseShare(
                payments_selectors.party_for_character(grant.character),
                grant.character.name,
                terms.rev_share_bps,
                terms.upstream_model,
                0,
                terms.max_stack_bps,
            )
        )
    return payments_selectors.remix_split_lines(
        parent=parent, extra_licenses=extra, creator=creator
    )


def requests_for_creator(*, user: User) -> QuerySet[GenerationRequest]:
    return (
        GenerationRequest.objects.filter(creator=user)
        .select_related("work")
        .prefetch_related("characters")
        .order_by("-created_at", "id")
    )


def request_for_creator(*, pk, user: User) -> GenerationRequest | None:
    return (
        GenerationRequest.objects.filter(pk=pk, creator=user)
        .select_related("parent")
        .prefetch_related("characters", "events")
        .first()
    )


def works_showing_likeness_of(*, user: User) -> QuerySet[Work]:
    """Every work, drafts included, that shows one of the user's likenesses."""
    return (
        Work.objects.filter(
            Q(licenses__character__owner_user=user) | Q(request__characters__owner_user=user)
        )
        .exclude(status=WorkStatus.DELETED)
        .distinct()
        .select_related("creator")
        .order_by("-created_at", "id")
    )


def active_grant_characters(*, user: User):
    """The characters the user may generate with: those of their active grants."""
    from licensing.models import Character

    return (
        Character.objects.filter(grants__licensee=user, grants__status=GrantStatus.ACTIVE)
        .distinct()
        .order_by("name")
    )
