"""Marketplace reads: the feed, works with their lineage, a creator's requests."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from django.db import connection, connections
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts import selectors as accounts_selectors
from accounts.models import Follow, User
from licensing import selectors as licensing_selectors
from licensing.models import Character
from marketplace.enums import (
    CLAIM_STATUSES_WITHOUT_EFFECT,
    DISPUTE_WINDOW_DAYS,
    ApprovalStatus,
    ClaimPolicy,
    ClaimStatus,
    DisputeStatus,
    WorkStatus,
)
from marketplace.models import (
    Claim,
    Dispute,
    FeedEntry,
    GenerationRequest,
    Like,
    Work,
    WorkApproval,
    WorkLicense,
)

FEED_PAGE = 10
# Works per page of a character's "made with" list.
CHARACTER_WORKS_PAGE = 12
# How many of their organizations' characters not licensed in a work a claim form lists
# (a studio with more claims the rest through the API, by id).
CLAIMABLE_NOT_LICENSED_MAX = 300
# The claims' table, which payments' bulk settlement joins in SQL to leave claimed works
# to the per-event path (whose revenue a claim may hold).
CLAIMS_TABLE = Claim._meta.db_table
MAX_LINEAGE = 20


def _licenses() -> Prefetch:
    return Prefetch(
        "licenses", queryset=WorkLicense.objects.select_related("character").order_by("id")
    )


def encode_cursor(work: Work) -> str:
    assert work.published_at is not None  # only published works are in the feed
    return _cursor(work.published_at, work.pk)


def _cursor(published_at: datetime, pk) -> str:
    raw = f"{published_at.isoformat()}|{pk}"
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


def feed_page(
    *, cursor: str | None = None, size: int = FEED_PAGE, followed_by: User | None = None
) -> tuple[list[Work], str | None]:
    """Published works, newest first, keyset-paginated by (published_at, id): a
    constant number of queries and stable pages while new works arrive. With
    ``followed_by``, only the works of the people they follow (the "Following" tab)."""
    qs = Work.objects.filter(status=WorkStatus.PUBLISHED)
    if followed_by is not None:
        qs = qs.filter(creator_id__in=accounts_selectors.followee_ids(user=followed_by))
    qs = (
        qs.select_related("creator", "parent")
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


def feed_entries_page(
    *, cursor: str | None = None, size: int = FEED_PAGE, followed_by: User | None = None
) -> tuple[list[dict], str | None]:
    """``feed_page`` from the feed's read model (marketplace/services/feed.py): the
    same works in the same order and pages, as their stored cards, in one query. With
    ``followed_by``, only the entries of the people they follow (``_feed_entry_rows``)."""
    position = _decode_cursor(cursor) if cursor else None
    rows = _feed_entry_rows(followed_by=followed_by, position=position, limit=size + 1)
    last = rows[size - 1] if len(rows) > size else None
    next_cursor = _cursor(last[1], last[2]) if last is not None and last[1] is not None else None
    return [payload for payload, _, _ in rows[:size]], next_cursor


def _feed_entry_rows(
    *, followed_by: User | None, position: tuple[datetime, str] | None, limit: int
) -> list[tuple[dict, datetime | None, uuid.UUID]]:
    """(card, published_at, work id) of the feed's next ``limit`` entries after
    ``position``, newest first, in one statement written here: the query
    ``feed_page`` makes through the ORM, on the read model. Compiling it through the
    ORM cost as much as running it (2026-12-03, full scale, the reader of 68,312
    people: 0.85-1.15 ms of compiling, 1.3-1.5 ms of statement), and the feed is the
    hottest read. With ``followed_by``, only the entries of the people they follow: a
    semi-join on their follows (``creator_id IN (SELECT followee_id ...)``), which
    leaves PostgreSQL the plan to pick by how many people they follow (its estimate
    comes from the follows' statistics for this follower). Following many, it walks the
    feed's order index newest first and keeps the entries whose creator it finds in the
    follows' unique index, stopping at a page; following few, it reads each followee's
    newest entries from the (creator, published_at, work) index and sorts those. On the
    0.1 data set (2026-12-03, load ~11) a page took 0.2-0.3 ms for 1 or 3 followees,
    5.6 ms for 50, 13-20 ms for 301 and 0.5-2 ms for 10,000. The alternative, a LATERAL
    top-N per followee merged, reads a page's worth of entries from every followee: as
    fast for the few, and tens of thousands of index probes a page for the many."""
    db = connections[FeedEntry.objects.db]  # the router's choice, replica or primary
    quote = db.ops.quote_name
    entry = FeedEntry._meta
    key, moment_field = entry.pk, entry.get_field("published_at")
    work_id, published_at = quote(cast(str, key.column)), quote(cast(str, moment_field.column))
    where, params = [], []
    if followed_by is not None:
        follow = Follow._meta
        follower = follow.get_field("follower")
        where.append(
            f"{quote(cast(str, entry.get_field('creator').column))} IN (SELECT "  # noqa: S608
            f"{quote(cast(str, follow.get_field('followee').column))} FROM "
            f"{quote(follow.db_table)} WHERE {quote(cast(str, follower.column))} = %s)"
        )  # names from the models, quoted; the values are parameters
        params.append(follower.get_db_prep_value(followed_by.pk, db))
    if position is not None:
        # As in feed_page: the redundant bound is the index range's.
        moment = moment_field.get_db_prep_value(position[0], db)
        where.append(
            f"{published_at} <= %s AND ({published_at} < %s OR "
            f"({published_at} = %s AND {work_id} < %s))"
        )
        params += [moment, moment, moment, key.get_db_prep_value(uuid.UUID(position[1]), db)]
    sql = (
        f"SELECT {quote('payload')}, {published_at}, {work_id} "  # noqa: S608
        f"FROM {quote(entry.db_table)} {'WHERE ' + ' AND '.join(where) if where else ''} "
        f"ORDER BY {published_at} DESC, {work_id} DESC LIMIT %s"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [_entry_row(row) for row in cursor.fetchall()]


def feed_cards_by_ids(*, ids: list[str]) -> dict[str, dict]:
    """The feed cards (``FeedEntry`` payloads) of these works, by work id (the works not
    in the feed are left out), in one statement written here: through the ORM,
    compiling the ids and converting each row took longer than the query itself
    (2026-12-03: 1.6-1.9 ms against 1.0 ms for 24 cards at full scale)."""
    if not ids:
        return {}
    db = connections[FeedEntry.objects.db]  # the router's choice, replica or primary
    quote = db.ops.quote_name
    key = FeedEntry._meta.pk
    sql = (
        f"SELECT {quote('payload')} FROM {quote(FeedEntry._meta.db_table)} "  # noqa: S608
        f"WHERE {quote(cast(str, key.column))} IN ({', '.join(['%s'] * len(ids))})"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [key.get_db_prep_value(uuid.UUID(pk), db) for pk in ids])
        cards = [_payload(value) for (value,) in cursor.fetchall()]
    return {card["id"]: card for card in cards}


def _payload(value: str | dict) -> dict:
    # jsonb arrives as text (Django reads it so), as on SQLite.
    return json.loads(value) if isinstance(value, str) else value


def _entry_row(row: tuple) -> tuple[dict, datetime | None, uuid.UUID]:
    """A raw row as the ORM reads it: jsonb arrives as text (Django reads it so); SQLite
    gives the time naive (in UTC, perhaps as text) and the id as text."""
    payload, moment, pk = row
    payload = _payload(payload)
    if isinstance(moment, str):
        moment = parse_datetime(moment)
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return payload, moment, pk if isinstance(pk, uuid.UUID) else uuid.UUID(pk)


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


@dataclass(frozen=True)
class Declared:
    """What the creator declared when asking for a work (the engine checked these
    against every licence's terms), what the terms allowed, and whether the work turned
    out commercial. Declarations are the creator's word: nothing here is verified."""

    territory: str
    rating: str
    commercial_asked: bool
    commercial: bool
    territories_allowed: tuple[str, ...] | None
    territories_blocked: tuple[str, ...]
    max_rating: str


def _rating_label(value: str) -> str:
    return value.replace("_", " ")


def work_declared(*, work: Work) -> Declared:
    """The creator's declarations for ``work`` beside the limits its licences set."""
    request = work.request
    terms = request.effective_terms or {}
    allowed = terms.get("territories_allowed")
    return Declared(
        territory=request.territory,
        rating=_rating_label(request.rating),
        commercial_asked=request.commercial,
        commercial=work.commercial,
        territories_allowed=tuple(allowed) if allowed is not None else None,
        territories_blocked=tuple(terms.get("territories_blocked") or ()),
        max_rating=_rating_label(terms.get("max_rating", "")),
    )


def work_rightsholder_of(*, work: Work, user: User) -> bool:
    """Whether the user manages a character the work shows (its licences or its
    request): a rightsholder who may see what its creator declared."""
    if not user.is_authenticated:
        return False
    characters = [lic.character for lic in work.licenses.all()]
    characters += list(work.request.characters.all())
    return any(licensing_selectors.character_can_edit(character=c, user=user) for c in characters)


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
    return work if work_rightsholder_of(work=work, user=user) else None


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


def recent_works_by_creators(*, user_ids, per_creator: int = 4) -> dict[uuid.UUID, list[Work]]:
    """Each creator's latest published works, newest first, in one query: what a
    rightsholder deciding on their request looks at."""
    ranked = (
        Work.objects.filter(creator_id__in=list(user_ids), status=WorkStatus.PUBLISHED)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("creator_id")],
                order_by=[F("published_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=per_creator)
        .order_by("creator_id", "rank")
    )
    works: dict[uuid.UUID, list[Work]] = {}
    for work in ranked:
        works.setdefault(work.creator_id, []).append(work)
    return works


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
    return licensing_selectors.characters_licensed_to(user=user)


# --- per-work approvals -----------------------------------------------------------------


def work_approvals_for_licensor(*, user: User, status: str | None = "pending") -> QuerySet:
    """Per-work reviews on characters the user manages, soonest deadline first."""
    managed = licensing_selectors.characters_managed_by(user=user).values("pk")
    qs = WorkApproval.objects.filter(character__in=managed)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("character", "work__creator", "work__request").order_by(
        "deadline", "id"
    )


def work_approval_for_licensor(*, pk, user: User):
    """The approval if the user manages its character, else None."""
    return work_approvals_for_licensor(user=user, status=None).filter(pk=pk).first()


def work_revenue_hold(*, work_id) -> tuple[str, object] | None:
    """Where a work's revenue must go instead of its usual recipients:
    ("escrow", [claim ids]) while disputes on it are open (each of those claims holds an
    equal share until its own dispute settles), ("claimant", organization) while a
    monetize claim stands, else None."""
    claims = list(
        Claim.objects.filter(work_id=work_id)
        .select_related("organization", "dispute")
        .order_by("id")
    )
    disputed = [
        claim.pk
        for claim in claims
        if getattr(claim, "dispute", None) is not None
        and claim.dispute.status in (DisputeStatus.OPEN, DisputeStatus.ESCALATED)
    ]
    if disputed:
        return "escrow", disputed
    for claim in claims:
        if claim.policy == ClaimPolicy.MONETIZE and claim.status in (
            ClaimStatus.ACTIVE,
            ClaimStatus.UPHELD,
        ):
            return "claimant", claim.organization
    return None


# --- claims and disputes --------------------------------------------------------------


def claimable_characters(*, work, user: User) -> list[Character]:
    """The characters shown in the work (its licences) that a verified organization
    where the user is an owner or manager owns."""
    if not user.is_authenticated:
        return []
    organizations = licensing_selectors.editable_organization_ids(user=user, verified_only=True)
    found: dict = {}
    for licence in work.licenses.all():
        character = licence.character
        if character.owner_organization_id in organizations:
            found.setdefault(character.pk, character)
    return list(found.values())


def claimable_characters_not_licensed(
    *, work, user: User, limit: int = CLAIMABLE_NOT_LICENSED_MAX
) -> list[Character]:
    """The other characters of the verified organizations where the user is an owner or
    manager, by name, at most ``limit``: a claim on one of them (shown in the video
    though not licensed in it) goes to staff review first."""
    if not user.is_authenticated:
        return []
    organizations = licensing_selectors.editable_organization_ids(user=user, verified_only=True)
    if not organizations:
        return []
    return list(
        Character.objects.filter(owner_organization__in=organizations)
        .exclude(pk__in=work.licenses.values("character_id"))
        .only("pk", "name", "owner_organization_id")
        .order_by("name", "id")[:limit]
    )


def claims_visible_to(*, user: User, role: str | None = None) -> QuerySet[Claim]:
    """Claims filed by an organization the user belongs to (any role), or against the
    user's own works once they took effect (a claim waiting for staff review, or one
    staff rejected, never touched the work); ``role`` keeps one side only ("claimant"
    or "creator")."""
    as_claimant = Q(organization__in=accounts_selectors.organization_ids_for_member(user=user))
    as_creator = Q(work__creator=user) & ~Q(status__in=CLAIM_STATUSES_WITHOUT_EFFECT)
    condition = {"claimant": as_claimant, "creator": as_creator}.get(
        role or "", as_claimant | as_creator
    )
    return (
        Claim.objects.filter(condition)
        .select_related("work__creator", "character", "organization", "dispute")
        .order_by("-created_at", "id")
    )


def claim_visible_to(*, pk, user: User) -> Claim | None:
    """The claim if the user may see it (a party to it, or staff), else None."""
    qs = Claim.objects.all() if user.is_staff else claims_visible_to(user=user)
    return qs.select_related("work__creator", "character", "organization").filter(pk=pk).first()


def dispute_visible_to(*, pk, user: User) -> Dispute | None:
    """The dispute if the user may see its claim (a party to it, or staff), else None."""
    qs = Dispute.objects.all()
    if not user.is_staff:
        qs = qs.filter(claim__in=claims_visible_to(user=user).values("pk"))
    return qs.select_related("claim__work__creator", "claim__organization").filter(pk=pk).first()


def dispute_until(claim: Claim) -> datetime | None:
    """The last moment the creator may dispute the claim; None while it has not taken
    effect (waiting for staff review, or rejected)."""
    took_effect = claim.effective_from
    return None if took_effect is None else took_effect + timedelta(days=DISPUTE_WINDOW_DAYS)


def published_works_by_id(*, ids) -> dict:
    """The published works among ``ids``, by id."""
    return {w.pk: w for w in Work.objects.filter(pk__in=list(ids), status=WorkStatus.PUBLISHED)}


def published_work(*, pk) -> Work | None:
    """A published work by id (what a viewer may tip), else None."""
    return Work.objects.select_related("creator").filter(pk=pk, status=WorkStatus.PUBLISHED).first()


def work_noncommercial_reason(*, work: Work) -> str | None:
    """Why the work may not earn commercially (tips, ad revenue), naming the licences
    whose terms forbid it; None when every licence it uses allows commercial use (the
    pipeline derives ``Work.commercial`` from them when it makes the work)."""
    if work.commercial:
        return None
    names = [
        row.character.name
        for row in work.licenses.select_related("character", "offer").order_by("id")
        if not row.offer.parsed_terms.commercial_use
    ]
    if names:
        return (
            f"“{work.title[:60]}” is non-commercial: the licence for {', '.join(names)} "
            "does not allow commercial use"
        )
    return f"“{work.title[:60]}” is non-commercial: its licences do not allow commercial use"


def claimed_work_ids() -> QuerySet:
    """The ids of works with any claim, released or not (a subquery)."""
    return Claim.objects.values("work_id")


def works_showing_made_in(*, character_ids, start, end) -> QuerySet[Work]:
    """Works made in [start, end) under a licence for any of these characters."""
    return (
        Work.objects.filter(
            licenses__character__in=list(character_ids),
            created_at__gte=start,
            created_at__lt=end,
        )
        .distinct()
        .select_related("creator")
        .prefetch_related("licenses__character")
        .order_by("created_at", "id")
    )


def claims_filed_in(*, organization, start, end) -> QuerySet[Claim]:
    """The organization's claims filed in [start, end), with their disputes."""
    return (
        Claim.objects.filter(organization=organization, created_at__gte=start, created_at__lt=end)
        .select_related("character", "work", "dispute")
        .order_by("created_at", "id")
    )


def claim_on(*, work: Work, character) -> Claim | None:
    return Claim.objects.filter(work=work, character=character).first()


def request_by_prompt(*, creator: User, prompt: str) -> GenerationRequest | None:
    """The creator's first request with exactly this prompt."""
    return (
        GenerationRequest.objects.filter(creator=creator, prompt=prompt)
        .order_by("created_at")
        .first()
    )


def work_of_request(*, request: GenerationRequest) -> Work | None:
    return Work.objects.filter(request=request).first()


def work_approvals_pending(*, work: Work) -> QuerySet[WorkApproval]:
    """The work's reviews still waiting, with each character's person."""
    return WorkApproval.objects.filter(work=work, status=ApprovalStatus.PENDING).select_related(
        "character__owner_user"
    )


@dataclass(frozen=True)
class Social:
    """What a viewer sees on a work's actions: its likes and visible comments, its
    creator's followers, and whether the viewer liked it and follows the creator."""

    likes: int
    liked: bool
    followers: int
    following: bool
    comments: int = 0


class _Card(Protocol):
    """What ``works_social`` reads of a work: a ``Work`` or a feed card."""

    pk: Any
    creator_id: Any


def works_social(*, works: Sequence[_Card], user: User) -> dict[uuid.UUID, Social]:
    """The social counts of a page of works (``Work`` instances or the feed's cards),
    by work id: two queries (the works' like and comment counters with the viewer's
    like, follows) whatever the page's length, none for an empty page."""
    if not works:
        return {}
    signed_in = user.is_authenticated
    liked = (
        Exists(Like.objects.filter(work=OuterRef("pk"), user_id=user.pk))
        if signed_in
        else Value(False)
    )
    counts = {
        row["pk"]: row
        for row in Work.objects.filter(pk__in=[w.pk for w in works])
        .annotate(n_likes=F("like_count"), n_comments=F("comment_count"), mine=liked)
        .values("pk", "n_likes", "n_comments", "mine")
        .order_by()
    }
    mine_follows = Q(follower_id=user.pk) if signed_in else Q(pk__in=[])
    follows = {
        row["followee_id"]: row
        for row in Follow.objects.filter(followee__in={w.creator_id for w in works})
        .values("followee_id")
        .annotate(n=Count("id"), mine=Count("id", filter=mine_follows))
        .order_by()
    }
    empty = {"n": 0, "mine": 0}
    none = {"n_likes": 0, "n_comments": 0, "mine": False}
    return {
        work.pk: Social(
            likes=counts.get(work.pk, none)["n_likes"],
            liked=bool(counts.get(work.pk, none)["mine"]),
            followers=follows.get(work.creator_id, empty)["n"],
            following=bool(follows.get(work.creator_id, empty)["mine"]),
            comments=counts.get(work.pk, none)["n_comments"],
        )
        for work in works
    }


def works_with_character(*, character_id) -> QuerySet[Work]:
    """Published works that license a character (inherited licences included), newest
    first: the character page's "made with" list."""
    return (
        Work.objects.filter(status=WorkStatus.PUBLISHED)
        .filter(Exists(WorkLicense.objects.filter(work=OuterRef("pk"), character_id=character_id)))
        .select_related("creator")
        .order_by("-published_at", "-id")
    )


# --- the creator's own pages (my works, the studio) ---------------------------------------

# Claims a creator sees on their work: those that took effect and still stand.
_STANDING_CLAIMS = [ClaimStatus.ACTIVE, ClaimStatus.DISPUTED, ClaimStatus.UPHELD]
_OPEN_DISPUTES = [DisputeStatus.OPEN, DisputeStatus.ESCALATED]


def my_works_rows(*, user: User, limit: int = 100) -> list[GenerationRequest]:
    """The creator's requests, newest first, each with its work (if one was made) and
    the work's likes (its counter), standing claims and open disputes counted: one query."""
    return list(
        GenerationRequest.objects.filter(creator=user)
        .select_related("work")
        .annotate(
            likes_count=Coalesce(F("work__like_count"), 0),
            claims_count=Count(
                "work__claims",
                filter=Q(work__claims__status__in=_STANDING_CLAIMS),
                distinct=True,
            ),
            disputes_count=Count(
                "work__claims__dispute",
                filter=Q(work__claims__dispute__status__in=_OPEN_DISPUTES),
                distinct=True,
            ),
        )
        .order_by("-created_at", "id")[:limit]
    )


def work_pending_reviewers(*, work: Work) -> list[str]:
    """Who still has to look at a work waiting for approval: the person or the studio."""
    approvals = (
        WorkApproval.objects.filter(work=work, status=ApprovalStatus.PENDING)
        .select_related("character__owner_user", "character__owner_organization")
        .order_by("deadline", "id")
    )
    return list(dict.fromkeys(a.character.rightsholder_name for a in approvals))


def work_character_ids(*, work: Work) -> list[str]:
    """The characters a work's licences name (a remix's parent's, to tick in advance)."""
    return [str(c) for c in work.licenses.values_list("character_id", flat=True)]


@dataclass(frozen=True)
class StudioCharacter:
    """A character card in the studio: whether the creator may use it now, and what it
    costs them (minor units; currency of its terms)."""

    id: str
    name: str
    thumbnail: object  # an image field, or None
    licensed: bool
    currency: str
    per_video: int  # the per-generation fee of the licence (held or on offer)
    licence_fee: int  # still to pay before using it: 0 when licensed
    url: str


def studio_characters(*, user: User, extra_ids=()) -> list[StudioCharacter]:
    """The characters the creator holds an active licence for, and ``extra_ids`` (a
    remix's parent's) they may not: each with its per-video fee, and for one without a
    licence the cheapest published offer's upfront fee and per-video fee."""
    licensed = {str(c.pk) for c in licensing_selectors.characters_licensed_to(user=user)}
    ids = [*licensed, *(str(c) for c in extra_ids)]
    fees = {
        f["character_id"]: f
        for f in licensing_selectors.generation_fees_owed(licensee=user, character_ids=licensed)
    }
    cards = []
    for character in licensing_selectors.characters_with_images(ids=ids):
        cid = str(character.pk)
        images = list(character.images.all())
        thumbnail = images[0].thumbnail if images else None
        if cid in licensed:
            fee = fees.get(cid)
            currency = fee["currency"] if fee else ""
            per_video, licence_fee = (fee["amount"] if fee else 0), 0
        else:
            offer = licensing_selectors.cheapest_published_offer(character=character)
            terms = offer.parsed_terms if offer else None
            currency = terms.currency if terms else ""
            per_video = terms.per_generation_fee if terms else 0
            licence_fee = terms.upfront_fee if terms else 0
        cards.append(
            StudioCharacter(
                id=cid,
                name=character.name,
                thumbnail=thumbnail,
                licensed=cid in licensed,
                currency=currency,
                per_video=per_video,
                licence_fee=licence_fee,
                url=character.get_absolute_url(),
            )
        )
    return cards


def disputes_settled_in(*, start, end) -> QuerySet[Dispute]:
    """Every dispute settled in [start, end), across all claimants: how disputes were
    resolved, by whom, and in what time (the platform report)."""
    return (
        Dispute.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
        .select_related("claim__organization", "resolved_by")
        .order_by("resolved_at", "id")
    )


def _percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont)."""
    position = (len(sorted_values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def resolution_times(*, start, end, organization=None) -> list[dict]:
    """How long claims and disputes resolved in [start, end) took, from filing (a claim)
    or opening (a dispute) to resolution: per kind, how many and the p50 and p90 in
    hours (None when none was resolved). Only the organization's claims (as claimant)
    when given, else every claimant's. Reads two timestamps per resolved row; a month
    resolves thousands at most, far fewer than it decides."""
    claims = Claim.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
    disputes = Dispute.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
    if organization is not None:
        claims = claims.filter(organization=organization)
        disputes = disputes.filter(claim__organization=organization)
    rows = []
    for kind, queryset in (("claim", claims), ("dispute", disputes)):
        hours = sorted(
            (resolved - opened).total_seconds() / 3600
            for opened, resolved in queryset.values_list("created_at", "resolved_at").order_by()
            if resolved is not None  # always, in the period; for the type checker
        )
        rows.append(
            {
                "kind": kind,
                "resolved": len(hours),
                "p50_hours": round(_percentile(hours, 0.5), 1) if hours else None,
                "p90_hours": round(_percentile(hours, 0.9), 1) if hours else None,
            }
        )
    return rows
