"""The compliance report: everything Cocreate knows about one rightsholder's characters
in a period. The report a studio or a regulator asks for (Japan's AI Promotion Act,
Article 16, lets the government request reports from AI businesses). The JSON format
is documented in docs/compliance.md; the CSV has one row per record with a
``record_type`` column.

It reads every app (characters and decisions, works and claims, money, the audit
trail), each through that app's selectors, so it lives above them all. One function per
section; each yields its records from a database iterator, so an export streams
(dashboard/export_signing.py signs it) and memory stays flat whatever the period.

A rightsholder is an organization, or a person for their likeness (``owner`` is then
the User): a person's report has no claims (claims are filed by organizations)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.utils.dateparse import parse_date

from core.audit import audit_events_in, audit_head, stream_for
from core.errors import DomainError
from dashboard.export_signing import csv_export, json_export
from licensing import selectors as licensing_selectors
from marketplace import selectors as marketplace_selectors
from payments import selectors as payments_selectors

if TYPE_CHECKING:
    from accounts.models import Organization, User

SCHEMA_VERSION = "2.1"
SECTIONS = (
    "characters",
    "policy_decisions",
    "grants",
    "works",
    "claims",
    "resolution_times",
    "revenue",
    "payouts",
    "audit_events",
)
CHUNK = 500


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _is_person(owner) -> bool:
    return owner._meta.label_lower == "accounts.user"


def compliance_header(*, owner: Organization | User, start: datetime, end: datetime) -> dict:
    """The report's fixed fields: schema, rightsholder, period."""
    holder: dict[str, dict[str, str]]
    if _is_person(owner):
        holder = {"person": {"id": str(owner.pk), "email": getattr(owner, "email", "")}}
    else:
        holder = {
            "organization": {"slug": getattr(owner, "slug", ""), "name": getattr(owner, "name", "")}
        }
    return {
        "schema": f"https://cocreate.example/schemas/compliance/{SCHEMA_VERSION}",
        **holder,
        "period": {"from": _iso(start), "to": _iso(end)},
    }


def compliance_sections(
    *, owner: Organization | User, start: datetime, end: datetime, head: dict | None = None
) -> dict[str, Iterable[dict]]:
    """Each section as a lazy iterable of records (read once): every policy decision
    that involved the rightsholder's characters (allowed and refused, with reasons),
    their grants, the works that show them, its claims and their outcomes, its revenue
    and payouts, and every audit event in its stream (approvals, licence requests,
    offer versions, verification, name conflicts, disputes, staff actions), in
    [start, end): up to ``head`` (the stream's last event before ``end`` by default),
    so an export's audit section ends exactly at the head its manifest names."""
    stream = stream_for(owner)
    if head is None:
        head = audit_head(stream=stream, before=end)
    if _is_person(owner):
        characters = licensing_selectors.likenesses_of(user=owner)
    else:
        characters = licensing_selectors.characters_of_organization(organization=owner)
    ids = set(characters.values_list("pk", flat=True))
    return {
        "characters": (
            {"id": str(c.pk), "name": c.name, "kind": c.kind, "disallowed": c.disallowed}
            for c in characters.order_by("name", "id").iterator(chunk_size=CHUNK)
        ),
        "policy_decisions": _decisions(ids, start, end),
        "grants": _grants(ids, start, end),
        "works": _works(ids, start, end),
        "claims": iter(())
        if _is_person(owner)
        else _claims(cast("Organization", owner), start, end),
        "resolution_times": _resolution_times(owner, start, end),
        "revenue": _revenue(owner, start, end),
        "payouts": _payouts(owner, start, end),
        "audit_events": _audit_events(stream, start, end, upto=head["seq"] if head else 0),
    }


def compliance_report(
    *,
    organization: Organization | None = None,
    owner: Organization | User | None = None,
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """The whole report in memory (small periods, tests); exports stream instead."""
    owner = owner or organization
    assert owner is not None
    return {
        **compliance_header(owner=owner, start=start, end=end),
        **{k: list(v) for k, v in compliance_sections(owner=owner, start=start, end=end).items()},
    }


def compliance_export(
    *, owner: Organization | User, start: datetime, end: datetime, fmt: str
) -> Iterator[bytes]:
    """The signed export (dashboard/export_signing.py), streamed: the report, then its
    manifest (the report, its scope and period, row counts, the head of the audit
    stream it covers, the body's sha256) and the signature."""
    stream = stream_for(owner)
    head = audit_head(stream=stream, before=end)
    sections = compliance_sections(owner=owner, start=start, end=end, head=head)
    manifest = {
        "report": "rightsholder",
        "scope": {"stream": stream},
        "period": {"from": _iso(start), "to": _iso(end)},
        "filters": {},
        "audit_head": head,
    }
    if fmt == "csv":
        counts: dict[str, int] = {}
        return csv_export(
            lines=compliance_csv_lines(sections, counts), counts=counts, manifest=manifest
        )
    header = compliance_header(owner=owner, start=start, end=end)
    return json_export(header=header, sections=sections, manifest=manifest)


def _audit_events(stream: str, start: datetime, end: datetime, *, upto: int) -> Iterator[dict]:
    events = audit_events_in(streams=[stream], start=start, end=end).filter(seq__lte=upto)
    for e in events.iterator(chunk_size=CHUNK):
        yield {
            "stream": e.stream,
            "seq": e.seq,
            "at": _iso(e.occurred_at),
            "actor": e.actor_label,
            "action": e.action,
            "subject": f"{e.subject_type}:{e.subject_id}",
            "reason": e.reason,
            "data": e.data,
            "hash": e.hash,
        }


def _decisions(character_ids: set, start: datetime, end: datetime) -> Iterator[dict]:
    """Each decision, with only the reasons about the organization's characters."""
    own = {str(i) for i in character_ids}
    return (
        {
            "id": str(d.pk),
            "at": _iso(d.created_at),
            "allowed": d.allowed,
            "purpose": d.purpose,
            "prompt": d.prompt,
            "engine_version": d.engine_version,
            "inputs_hash": d.inputs_hash,
            "characters": sorted(str(c.pk) for c in d.characters.all() if c.pk in character_ids),
            "reasons": [
                r for r in d.reasons if not r.get("character_id") or r["character_id"] in own
            ],
        }
        for d in licensing_selectors.decisions_involving(
            character_ids=character_ids, start=start, end=end
        ).iterator(chunk_size=CHUNK)
    )


def _grants(character_ids: set, start: datetime, end: datetime) -> Iterator[dict]:
    return (
        {
            "id": str(g.pk),
            "character": str(g.character_id),
            "licensee": g.licensee.email,
            "status": g.status,
            "offer_version": g.offer.version,
            "terms_hash": g.offer.terms_hash,
            "created_at": _iso(g.created_at),
            "activated_at": _iso(g.activated_at),
            "ended_at": _iso(g.ended_at),
            "end_reason": g.end_reason,
        }
        for g in licensing_selectors.grants_live_in(
            character_ids=character_ids, start=start, end=end
        ).iterator(chunk_size=CHUNK)
    )


def _works(character_ids: set, start: datetime, end: datetime) -> Iterator[dict]:
    return (
        {
            "id": str(w.pk),
            "title": w.title,
            "creator": w.creator.email,
            "status": w.status,
            "parent": str(w.parent_id) if w.parent_id else None,
            "characters": sorted(
                str(lic.character_id)
                for lic in w.licenses.all()
                if lic.character_id in character_ids
            ),
            "created_at": _iso(w.created_at),
            "published_at": _iso(w.published_at),
        }
        for w in marketplace_selectors.works_showing_made_in(
            character_ids=character_ids, start=start, end=end
        ).iterator(chunk_size=CHUNK)
    )


def _dispute(claim) -> dict | None:
    if not hasattr(claim, "dispute"):
        return None
    return {
        "status": claim.dispute.status,
        "reason": claim.dispute.reason,
        "opened_at": _iso(claim.dispute.created_at),
        "resolved_at": _iso(claim.dispute.resolved_at),
    }


def _claims(organization: Organization, start: datetime, end: datetime) -> Iterator[dict]:
    return (
        {
            "id": str(c.pk),
            "work": str(c.work_id),
            "character": str(c.character_id),
            "reason": c.reason,
            "policy": c.policy,
            "status": c.status,
            "filed_at": _iso(c.created_at),
            "resolved_at": _iso(c.resolved_at),
            "dispute": _dispute(c),
        }
        for c in marketplace_selectors.claims_filed_in(
            organization=organization, start=start, end=end
        ).iterator(chunk_size=CHUNK)
    )


def _resolution_times(owner: Organization | User, start: datetime, end: datetime) -> list[dict]:
    """The organization's claims and their disputes resolved in the period, p50 and p90
    hours per kind; a person files no claims, so their rows count nothing."""
    if _is_person(owner):
        return [
            {"kind": kind, "resolved": 0, "p50_hours": None, "p90_hours": None}
            for kind in ("claim", "dispute")
        ]
    return marketplace_selectors.resolution_times(start=start, end=end, organization=owner)


def _revenue(owner: Organization | User, start: datetime, end: datetime) -> Iterator[dict]:
    return (
        {
            "at": _iso(e.created_at),
            "account": e.account.kind,
            "amount": e.amount,
            "currency": e.currency,
            "transaction": e.transaction.kind,
            "memo": e.transaction.memo,
            "work": str(e.work_id) if e.work_id else None,
        }
        for e in payments_selectors.entries_of_in(owner=owner, start=start, end=end).iterator(
            chunk_size=CHUNK
        )
    )


def _payouts(owner: Organization | User, start: datetime, end: datetime) -> Iterator[dict]:
    return (
        {
            "id": str(p.pk),
            "status": p.status,
            "amount": p.amount,
            "currency": p.currency,
            "created_at": _iso(p.created_at),
            "paid_at": _iso(p.paid_at),
            "failure_reason": p.failure_reason,
        }
        for p in payments_selectors.payouts_of_in(owner=owner, start=start, end=end).iterator(
            chunk_size=CHUNK
        )
    )


def compliance_csv_lines(
    sections: dict[str, Iterable[dict]],
    counts: dict[str, int],
    *,
    names: Iterable[str] = SECTIONS,
) -> Iterator[str]:
    """The report as CSV lines, streamed: a ``record_type`` column, then each record's
    fields (nested values as JSON). ``counts`` gets each section's record count."""
    out = io.StringIO()
    writer = csv.writer(out)

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(["record_type", "field", "value", "record"])
    yield flush()
    for section in names:
        counts[section] = 0
        for index, record in enumerate(sections[section]):
            counts[section] += 1
            for key, value in record.items():
                text = (
                    json.dumps(value, ensure_ascii=False)
                    if isinstance(value, list | dict)
                    else value
                )
                writer.writerow([section, key, "" if text is None else text, index])
            yield flush()


def compliance_csv(report: dict[str, Any]) -> str:
    """The whole report (``compliance_report``) as one CSV string."""
    return "".join(compliance_csv_lines({k: report[k] for k in SECTIONS}, {}))


MAX_PERIOD = timedelta(days=3_660)


def compliance_period(*, start: str, end: str) -> tuple[datetime, datetime]:
    """Parse a report period ``[start, end)`` from ``YYYY-MM-DD`` dates (UTC midnights).
    Refused with a DomainError (400) naming the field: a missing, malformed or
    impossible date, an end not after the start, or a period over ten years (year 1
    to 9999 is no report anyone can read; split it)."""
    days = {}
    for name, text in (("from", start), ("to", end)):
        try:
            day = parse_date((text or "").strip())
        except ValueError:
            day = None
        if day is None:
            raise DomainError(f"'{name}' must be a date like 2026-11-01.", field=name)
        days[name] = datetime.combine(day, time.min, tzinfo=UTC)
    if days["to"] <= days["from"]:
        raise DomainError("The end date must be after the start date.", field="to")
    if days["to"] - days["from"] > MAX_PERIOD:
        raise DomainError(
            "A report covers at most ten years; ask for a shorter period.", field="to"
        )
    return days["from"], days["to"]
