"""Marketplace reads: the feed, works with their lineage, a creator's requests."""

import base64
import binascii
import uuid
from datetime import datetime

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
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
            # The redundant ``published_at <= moment`` is the index range bound: with the
            # OR alone, PostgreSQL reads the index from the newest work down to the cursor.
            qs = qs.filter(published_at__lte=moment).filter(
                Q(published_at__lt=moment) | Q(published_at=moment, id__lt=pk)
            )
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


def _pk_param(pk) -> object:
    """A primary key as the database stores it (SQLite keeps UUIDs as hex), for raw SQL."""
    return Work._meta.pk.get_db_prep_value(pk, connection)


# One recursive query walks up the parent links; the level cap bounds a corrupt cycle.
_ANCESTOR_IDS = """
WITH RECURSIVE up (id, parent_id, level) AS (
    SELECT id, parent_id, 0 FROM marketplace_work WHERE id = %s
    UNION ALL
    SELECT w.id, w.parent_id, up.level + 1
      FROM marketplace_work w JOIN up ON w.id = up.parent_id
     WHERE up.level < %s
)
SELECT id FROM up WHERE level > 0
"""

# Published remixes level by level (an unpublished remix hides its subtree, as the
# feed does), first ``limit`` in breadth-first order: by level, then publication.
_DESCENDANT_IDS = """
WITH RECURSIVE down (id, level, published_at) AS (
    SELECT id, 1, published_at FROM marketplace_work WHERE parent_id = %s AND status = %s
    UNION ALL
    SELECT w.id, down.level + 1, w.published_at
      FROM marketplace_work w JOIN down ON w.parent_id = down.id
     WHERE w.status = %s AND down.level < %s
)
SELECT id FROM down ORDER BY level, published_at, id LIMIT %s
"""


def work_ancestors(
    *, work: Work, with_licenses: bool = False, use_loaded: bool = False
) -> list[Work]:
    """Parent, grandparent, ... up to the original (at most MAX_LINEAGE), nearest first,
    with their creators: one query whatever the depth (a recursive CTE), plus one for
    their licences when ``with_licenses``."""
    if work.parent_id is None:
        return []
    if use_loaded:
        cached = _cached_ancestors(work)
        if cached is not None:
            return cached
    # The SQL is a constant; the values are parameters.
    ids = RawSQL(_ANCESTOR_IDS, [_pk_param(work.pk), MAX_LINEAGE])  # noqa: S611
    qs = Work.objects.filter(pk__in=ids).select_related("creator")
    if with_licenses:
        qs = qs.prefetch_related(_licenses())
    by_pk = {w.pk: w for w in qs}
    chain: list[Work] = []
    current = by_pk.get(work.parent_id)
    while current is not None and len(chain) < MAX_LINEAGE:
        chain.append(current)
        current = by_pk.get(current.parent_id) if current.parent_id else None
    return chain


def _cached_ancestors(work: Work) -> list[Work] | None:
    """The chain when every parent link is already loaded (payments' works_for_split
    loads many works' lineages, with their licences, at once for bulk settlement), else
    None."""
    chain: list[Work] = []
    current = work
    while current.parent_id is not None and len(chain) < MAX_LINEAGE:
        parent = current.parent if Work.parent.is_cached(current) else None
        if parent is None:
            return None
        chain.append(parent)
        current = parent
    return chain


def work_descendants(*, work: Work, limit: int = 50) -> list[Work]:
    """Published remixes below this work, breadth first (level, then publication
    time), at most ``limit``: one query whatever the depth (a recursive CTE)."""
    published = WorkStatus.PUBLISHED.value
    params = [_pk_param(work.pk), published, published, limit, limit]
    ids = RawSQL(_DESCENDANT_IDS, params)  # noqa: S611 - a constant; values are parameters
    found = list(Work.objects.filter(pk__in=ids).select_related("creator"))
    # Every returned remix's parent is the work itself or another returned remix (the
    # query keeps whole levels first), so each one's level follows from its parent's.
    level = {work.pk: 0}
    pending = found
    while pending:
        rest = []
        for w in pending:
            if w.parent_id in level:
                level[w.pk] = level[w.parent_id] + 1
            else:
                rest.append(w)
        if len(rest) == len(pending):
            break
        pending = rest
    return sorted(
        found,
        key=lambda w: (level.get(w.pk, limit), w.published_at is None, w.published_at, str(w.pk)),
    )


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
