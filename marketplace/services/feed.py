"""The feed's read model (``FeedEntry``): one row per published work with its feed card
as the API writes it, so a feed page is one query and no model instances.

The services that move a work into or out of the published state (publishing it,
approving it, delisting or relisting it, deleting it) call ``feed_entries_sync`` in
their own transaction, and so do the handlers of licensing's ``CharacterRenamed`` (a
card names the characters its work licenses) and of accounts' ``PublicNameChanged`` (it
names its creator): the entry commits with the change.
``feed_entries_rebuild`` (``manage.py read_models_rebuild``) rewrites them all, for a
bulk load or an edit made outside the services."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction

from accounts.names import placeholder_name, placeholder_name_sql
from core.api import api_datetime
from core.bulk import pk_batches, rows_insert
from marketplace.enums import WorkStatus
from marketplace.models import FeedEntry, Work, WorkLicense
from marketplace.selectors_storylines import storyline_rankings_forget

REBUILD_BATCH = 5_000


_WORK_FIELDS = (
    "id",
    "title",
    "prompt",
    "status",
    "creator_id",
    "creator__display_name",
    "parent_id",
    "depth",
    "video",
    "poster",
    "duration_s",
    "width",
    "height",
    "frame_count",
    "commercial",
    "published_at",
)
_LICENCE_FIELDS = (
    "work_id",
    "character_id",
    "character__name",
    "grant_id",
    "offer_id",
    "terms_hash",
    "rightsholder",
    "rev_share_bps",
    "upstream_model",
    "inherited",
)


def feed_payload(work: dict, licences: list[dict]) -> dict:
    """A work (a row of ``_WORK_FIELDS``) as ``WorkOutputSerializer`` writes it, with
    its licences (rows of ``_LICENCE_FIELDS``, in id order), except its video and
    poster: stored names here, which the API signs per request."""
    return {
        "id": str(work["id"]),
        "title": work["title"],
        "prompt": work["prompt"],
        "status": work["status"],
        # The creator's public name (User.public_name): never their email.
        "creator": work["creator__display_name"] or placeholder_name(work["creator_id"]),
        "creator_id": str(work["creator_id"]),
        "parent": str(work["parent_id"]) if work["parent_id"] else None,
        "depth": work["depth"],
        "video": work["video"] or "",
        "poster": work["poster"] or "",
        "duration_s": work["duration_s"],
        "width": work["width"],
        "height": work["height"],
        "frame_count": work["frame_count"],
        "licenses": [
            {
                "character": str(row["character_id"]),
                "character_name": row["character__name"],
                "grant": str(row["grant_id"]),
                "offer": str(row["offer_id"]),
                "terms_hash": row["terms_hash"],
                "rightsholder": row["rightsholder"],
                "rev_share_bps": row["rev_share_bps"],
                "upstream_model": row["upstream_model"],
                "inherited": row["inherited"],
            }
            for row in licences
        ],
        "commercial": work["commercial"],
        "published_at": api_datetime(work["published_at"]),
    }


def _write(ids: list) -> int:
    """Rewrite the entries of the works ``ids``: rows, not model instances, so a
    rebuild of a million works takes minutes, not an hour."""
    found = list(
        Work.objects.filter(pk__in=ids)
        .order_by()
        .values(*_WORK_FIELDS, "storyline_id", "parent__storyline_id")
    )
    # A take entering or leaving the feed, or a remix of one (its parent's remix count),
    # changes its storyline's ranking.
    storyline_rankings_forget(
        storyline_ids=[w[k] for w in found for k in ("storyline_id", "parent__storyline_id")]
    )
    works = [w for w in found if w["status"] == WorkStatus.PUBLISHED]
    licences: dict = defaultdict(list)
    rows = WorkLicense.objects.filter(work_id__in=[w["id"] for w in works]).order_by("id")
    for row in rows.values(*_LICENCE_FIELDS):
        licences[row["work_id"]].append(row)
    entries = [
        FeedEntry(
            work_id=w["id"],
            published_at=w["published_at"],
            creator_id=w["creator_id"],
            payload=feed_payload(w, licences[w["id"]]),
        )
        for w in works
    ]
    FeedEntry.objects.filter(work_id__in=ids).delete()
    rows_insert(FeedEntry, entries)
    return len(entries)


@transaction.atomic
def feed_entries_sync(*, work_ids: Iterable) -> int:
    """Rewrite the entries of these works from their current state: a published work
    gets its card, any other loses it. Returns how many are in the feed."""
    ids = sorted({str(pk) for pk in work_ids})
    if not ids:
        return 0
    return _write(ids)


def feed_entries_for_character(*, character_id) -> int:
    """Rewrite the entries of the published works that license the character (its
    name changed)."""
    ids = FeedEntry.objects.filter(work__licenses__character_id=character_id).values_list(
        "work_id", flat=True
    )
    return feed_entries_sync(work_ids=list(ids))


def feed_entries_for_creator(*, creator_id) -> int:
    """Rewrite the entries of a person's published works (their public name changed)."""
    ids = FeedEntry.objects.filter(creator_id=creator_id).values_list("work_id", flat=True)
    return feed_entries_sync(work_ids=list(ids))


def _published_at_sql(column: str) -> str:
    # api_datetime in SQL: ISO 8601 in UTC with "Z", microseconds only when not zero.
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"date_part('microseconds', {utc})::bigint %% 1000000 = 0 THEN '' "
        f"ELSE to_char({utc}, '.US') END || 'Z'"
    )


def _rebuild_sql() -> str:
    """One INSERT ... SELECT writing ``feed_payload``'s cards for every published work
    (PostgreSQL; tests/marketplace/test_feed_entries.py holds the two to the same cards)."""
    work, licence = Work._meta.db_table, WorkLicense._meta.db_table
    # The users' and characters' tables, through the foreign keys (no other app's models).
    user = Work._meta.get_field("creator").related_model._meta.db_table
    character = WorkLicense._meta.get_field("character").related_model._meta.db_table
    return f"""
        INSERT INTO "{FeedEntry._meta.db_table}"
            (work_id, published_at, creator_id, payload, updated_at)
        SELECT w.id, w.published_at, w.creator_id, jsonb_build_object(
            'id', w.id::text, 'title', w.title, 'prompt', w.prompt, 'status', w.status,
            'creator', COALESCE(NULLIF(u.display_name, ''), {placeholder_name_sql("u.id")}),
            'creator_id', w.creator_id::text, 'parent', w.parent_id::text, 'depth', w.depth,
            'video', COALESCE(w.video, ''), 'poster', COALESCE(w.poster, ''),
            'duration_s', w.duration_s, 'width', w.width, 'height', w.height,
            'frame_count', w.frame_count,
            'licenses', COALESCE((
                SELECT jsonb_agg(jsonb_build_object(
                    'character', l.character_id::text, 'character_name', c.name,
                    'grant', l.grant_id::text, 'offer', l.offer_id::text,
                    'terms_hash', l.terms_hash, 'rightsholder', l.rightsholder,
                    'rev_share_bps', l.rev_share_bps, 'upstream_model', l.upstream_model,
                    'inherited', l.inherited) ORDER BY l.id)
                FROM "{licence}" l JOIN "{character}" c ON c.id = l.character_id
                WHERE l.work_id = w.id), '[]'::jsonb),
            'commercial', w.commercial,
            'published_at', {_published_at_sql("w.published_at")}
        ), now()
        FROM "{work}" w JOIN "{user}" u ON u.id = w.creator_id
        WHERE w.status = %s
    """  # noqa: S608 - table names from the models, the status a parameter


def feed_entries_rebuild(*, batch: int = REBUILD_BATCH) -> int:
    """Rewrite every entry; returns how many works are in the feed. On PostgreSQL one
    transaction of two statements (readers keep the old entries until it commits): 980,092
    cards in 483 s on the shared 2-core machine at load 10; elsewhere, works in batches
    through ``feed_payload``."""
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM "{FeedEntry._meta.db_table}"')  # noqa: S608
            cursor.execute(_rebuild_sql(), [WorkStatus.PUBLISHED.value])
            return cursor.rowcount
    with transaction.atomic():
        FeedEntry.objects.exclude(work__status=WorkStatus.PUBLISHED).delete()
    total = 0
    for ids in pk_batches(Work.objects.filter(status=WorkStatus.PUBLISHED), size=batch):
        with transaction.atomic():
            total += _write(ids)
    return total
