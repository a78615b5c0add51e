"""The audit trail: one append-only, hash-chained record of every decision and staff
action that changes rights or money (docs/compliance.md, "Audit trail").

Every app records with one call per decision, inside the transaction that made it::

    audit_record(action="grant.revoked", actor=by, subject=grant,
                 scope=character_scope(character), data={...}, reason=note)

so the event commits with the decision or not at all. Core knows no domain app, so a
``scope`` is given as a model instance (an ``accounts.Organization`` or an
``accounts.User`` whose likeness it concerns), or ``None`` for the platform stream.

Streams: one per rightsholder scope (``org:<uuid>``, ``person:<uuid>``) plus
``platform`` for what concerns no one rightsholder (the watchlist, staff admin
actions). Writers of different rightsholders never wait on each other, and a
rightsholder's export covers exactly one stream, so its manifest can name the head
of that stream. A decision about several rightsholders (a prompt naming two studios'
characters) is recorded once in each of their streams.

Appending takes a lock on the stream (``pg_advisory_xact_lock``, held until the
caller's transaction ends), reads the head and writes ``seq + 1`` chained to it: two
concurrent writers cannot fork a chain, and ``unique(stream, seq)`` would refuse it
if they did. SQLite (the newcomer's ``make run``) serialises writers itself."""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.utils import timezone

from core.models import AuditEvent

PLATFORM = "platform"
GENESIS = "0" * 64
# Fields the hash covers, in this order in the canonical JSON (keys are sorted anyway).
HASHED_FIELDS = (
    "stream",
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "subject_type",
    "subject_id",
    "data",
    "reason",
    "prev_hash",
)


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same bytes for the same value, whatever
    order a JSON column gives the keys back in."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    ).encode()


def _plain(data: dict[str, Any] | None) -> dict[str, Any]:
    # What the JSON column will give back: UUIDs, dates and Decimals as strings.
    return json.loads(canonical_json(data or {}))


def stream_for(scope: Any) -> str:
    """The stream of a scope: an Organization, a User (a likeness owner or a payee), a
    stream name already, or None for the platform."""
    if scope is None:
        return PLATFORM
    if isinstance(scope, str):
        return scope
    label = scope._meta.label_lower
    if label == "accounts.organization":
        return f"org:{scope.pk}"
    if label == "accounts.user":
        return f"person:{scope.pk}"
    raise TypeError(f"An audit scope is an organization, a user or None, not {label}")


def owner_stream(*, organization_id: Any = None, user_id: Any = None) -> str:
    """The stream of a rightsholder given by id (a character's ``owner_organization_id``
    or, for a likeness, ``owner_user_id``); the platform when neither."""
    if organization_id:
        return f"org:{organization_id}"
    if user_id:
        return f"person:{user_id}"
    return PLATFORM


def event_hash(fields: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of the hashed fields (``prev_hash`` included)."""
    return hashlib.sha256(canonical_json({k: fields[k] for k in HASHED_FIELDS})).hexdigest()


def event_fields(event: AuditEvent) -> dict[str, Any]:
    """The hashed fields of a stored event, as they were hashed."""
    return {
        "stream": event.stream,
        "seq": event.seq,
        "occurred_at": _iso(event.occurred_at),
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "actor_label": event.actor_label,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "data": event.data,
        "reason": event.reason,
        "prev_hash": event.prev_hash,
    }


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _actor(actor: Any) -> tuple[Any, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    return actor.pk, getattr(actor, "email", "") or str(actor.pk)


def _subject(subject: Any) -> tuple[str, str]:
    if isinstance(subject, tuple):
        kind, pk = subject
        return str(kind), str(pk)
    return subject._meta.label_lower, str(subject.pk)


def _lock_stream(stream: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Two keys (a namespace and the stream's crc32) so audit locks cannot
            # collide with any other advisory lock the project takes.
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [0x0A0D, zlib.crc32(stream.encode()) - 2**31],
            )


def audit_record(
    *,
    action: str,
    actor: Any,
    subject: Any,
    scope: Any | Iterable[Any] = None,
    data: dict[str, Any] | None = None,
    reason: str = "",
) -> list[AuditEvent]:
    """Append one event per stream of ``scope`` (one scope, or several: a decision
    about several rightsholders is in each of their streams), chained to each head.
    ``actor`` is a user, ``None`` ("system") or a label such as ``"beat"``;
    ``subject`` a model instance or a ``(type, id)`` pair. Runs in the caller's
    transaction: the events commit with the decision, or not at all."""
    scopes = (
        list(scope)
        if isinstance(scope, list | tuple | set | frozenset)
        else [scope]  # a single scope, or None
    )
    streams = sorted({stream_for(s) for s in scopes}) or [PLATFORM]
    actor_id, actor_label = _actor(actor)
    subject_type, subject_id = _subject(subject)
    payload = _plain(data)
    created = []
    # No savepoint of its own (two round trips fewer per decision): a failure here fails
    # the caller's transaction, which is what an unrecorded decision must do anyway.
    with transaction.atomic(savepoint=False):
        # Streams are locked in a stable order, so two writers cannot deadlock here.
        for stream in streams:
            _lock_stream(stream)
            head = (
                AuditEvent.objects.filter(stream=stream)
                .order_by("-seq")
                .values_list("seq", "hash")
                .first()
            )
            seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
            event = AuditEvent(
                stream=stream,
                seq=seq,
                occurred_at=timezone.now(),
                actor_id=actor_id,
                actor_label=actor_label[:254],
                action=action,
                subject_type=subject_type,
                subject_id=subject_id,
                data=payload,
                reason=reason or "",
                prev_hash=prev_hash,
            )
            event.hash = event_hash(event_fields(event))
            event.save(force_insert=True)
            created.append(event)
    return created


@dataclass(frozen=True)
class BrokenLink:
    stream: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"stream {self.stream}: seq {self.seq}: {self.problem}"


def audit_stream_verify(*, stream: str, chunk_size: int = 2000) -> tuple[int, BrokenLink | None]:
    """Re-walk one stream from its first event: each seq follows the last, each
    ``prev_hash`` is the previous ``hash``, each ``hash`` matches the row's fields.
    Returns how many events were checked and the first broken link (None: intact)."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    events: Iterator[AuditEvent] = (
        AuditEvent.objects.filter(stream=stream).order_by("seq").iterator(chunk_size=chunk_size)
    )
    for event in events:
        checked += 1
        if event.seq != expected_seq:
            return checked, BrokenLink(
                stream, expected_seq, f"missing: the next event found is seq {event.seq}"
            )
        if event.prev_hash != prev:
            return checked, BrokenLink(
                stream, event.seq, "prev_hash is not the hash of the event before it"
            )
        if event_hash(event_fields(event)) != event.hash:
            return checked, BrokenLink(
                stream, event.seq, "its fields do not match its hash (the row was edited)"
            )
        expected_seq, prev = event.seq + 1, event.hash
    return checked, None


def audit_streams() -> list[str]:
    return list(AuditEvent.objects.order_by("stream").values_list("stream", flat=True).distinct())


def audit_verify(*, streams: Iterable[str] | None = None) -> tuple[int, list[BrokenLink]]:
    """Verify every stream (or the given ones): the events checked and the first broken
    link of each broken stream."""
    total, broken = 0, []
    for stream in streams if streams is not None else audit_streams():
        checked, link = audit_stream_verify(stream=stream)
        total += checked
        if link:
            broken.append(link)
    return total, broken


def audit_events_in(
    *, streams: Iterable[str] | None, start: datetime, end: datetime
) -> QuerySet[AuditEvent]:
    """The events of these streams (every stream for None) in [start, end), in the
    order they were recorded. Served by the (stream, occurred_at) index."""
    events = AuditEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    if streams is not None:
        events = events.filter(stream__in=list(streams))
    return events.order_by("occurred_at", "stream", "seq")


def audit_action_totals(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """How many events of each action were recorded in [start, end), all streams."""
    return list(
        AuditEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
        .values("action")
        .annotate(count=Count("id"))
        .order_by("action")
    )


def audit_head(*, stream: str, before: datetime | None = None) -> dict[str, Any] | None:
    """The last event of a stream (occurred before ``before`` when given), as
    ``{"stream", "seq", "hash"}``: what an export covering it names."""
    events = AuditEvent.objects.filter(stream=stream)
    if before is not None:
        events = events.filter(occurred_at__lt=before)
    head = events.order_by("-seq").values("stream", "seq", "hash").first()
    return dict(head) if head else None


def audit_heads_digest(*, before: datetime | None = None) -> dict[str, Any]:
    """Every stream's head before ``before``, and a sha256 over them all (sorted by
    stream): what a platform-wide export covers. One query."""
    events = AuditEvent.objects.all()
    if before is not None:
        events = events.filter(occurred_at__lt=before)
    latest = events.filter(stream=OuterRef("stream")).order_by("-seq").values("seq")[:1]
    rows = [
        dict(row)
        for row in events.filter(seq=Subquery(latest))
        .order_by("stream")
        .values("stream", "seq", "hash")
    ]
    return {
        "streams": len(rows),
        "digest": hashlib.sha256(canonical_json(rows)).hexdigest(),
    }


ADMIN_ACTIONS = {1: "admin.added", 2: "admin.changed", 3: "admin.deleted"}


def audit_admin_log_entry(*, entry: Any) -> None:
    """Record a staff action the Django admin logged (a ``LogEntry``: an object added,
    changed or deleted, or an admin action that logs itself) in the platform stream:
    the admin writes these entries for every model, so no staff action goes
    unrecorded, whichever app's model it touched."""
    audit_record(
        action=ADMIN_ACTIONS.get(entry.action_flag, "admin.action"),
        actor=entry.user,
        subject=(
            f"{entry.content_type.app_label}.{entry.content_type.model}"
            if entry.content_type_id
            else "unknown",
            entry.object_id or "",
        ),
        data={"object": entry.object_repr, "change": entry.get_change_message()},
        reason=entry.get_change_message()[:2000],
    )


# Never copied into the trail when a row is deleted: secrets, not history.
SNAPSHOT_EXCLUDED = frozenset({"password"})


def _snapshot(obj: Any) -> dict[str, str]:
    return {
        f.attname: f.value_to_string(obj)
        for f in obj._meta.concrete_fields
        if f.attname not in SNAPSHOT_EXCLUDED
    }


def audit_admin_deletions(
    *, objects: Iterable[Any], actor: Any, how: str, scope_of: Any = None
) -> list[AuditEvent]:
    """Record each object staff delete in the admin as ``admin.deleted``, before it goes:
    who, when, what (its type, id, text and every field, so the trail keeps what the
    table loses) and how (the page or the bulk action, with the count). In the platform
    stream, and the object's rightsholder's when ``scope_of(obj)`` names one. The
    admin logs a bulk delete with one ``bulk_create``, which sends no ``post_save``:
    this is how every row of it reaches the trail."""
    objects = list(objects)
    return _per_object(
        objects,
        action="admin.deleted",
        actor=actor,
        scope_of=scope_of,
        data=lambda obj: {"fields": _snapshot(obj), "via": how},
        reason=f"{how} ({len(objects)} selected)" if len(objects) > 1 else how,
    )


def audit_admin_action(
    *, objects: Iterable[Any], actor: Any, action: str, description: str, scope_of: Any = None
) -> list[AuditEvent]:
    """Record that staff ran the admin action ``action`` on each of ``objects``: one
    ``admin.action`` event per object, in the platform stream and its rightsholder's
    when ``scope_of(obj)`` names one."""
    objects = list(objects)
    return _per_object(
        objects,
        action="admin.action",
        actor=actor,
        scope_of=scope_of,
        data=lambda obj: {"admin_action": action, "selected": len(objects)},
        reason=description,
    )


def _per_object(
    objects: list[Any], *, action: str, actor: Any, scope_of: Any, data: Any, reason: str
) -> list[AuditEvent]:
    """One ``action`` event per object: in the platform stream, and its rightsholder's
    when ``scope_of(obj)`` names one; ``data(obj)`` adds to the object's text."""
    created = []
    for obj in objects:
        owner = scope_of(obj) if scope_of else None
        created += audit_record(
            action=action,
            actor=actor,
            subject=(obj._meta.label_lower, str(obj.pk)),
            scope=[None, owner] if owner is not None else None,
            data={"object": str(obj)[:200], **data(obj)},
            reason=reason,
        )
    return created
