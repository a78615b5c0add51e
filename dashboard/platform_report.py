"""The platform compliance report (staff): the Article 16 reading of Japan's AI Promotion
Act asks what was refused and why, how rightsholders were consulted, how disputes were
resolved and in what time. Across every rightsholder in a period:

- ``decision_totals``: policy decisions allowed and refused, overall, per refusal
  reason, per kind of character (studio character or likeness) and per requester
  country where known;
- ``action_totals``: every audited action counted (licence requests and per-work
  approvals decided or denied by deadline: the consultation of rightsholders;
  verifications, name conflicts, claims, disputes, payouts, refunds, admin changes);
- ``resolution_times``: claims and disputes resolved, per kind, p50 and p90 hours from
  filing or opening to resolution;
- ``disputes``: each dispute settled, its outcome, who settled it and in how many hours;
- ``staff_actions``: every audit event whose actor is staff.

Streamed and signed like a rightsholder's report (dashboard/export_signing.py); the
manifest covers the whole trail: every stream's head before the end, digested."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from accounts import selectors as accounts_selectors
from core.audit import audit_action_totals, audit_events_in, audit_heads_digest
from dashboard.compliance import compliance_csv_lines
from dashboard.export_signing import csv_export, json_export
from licensing import selectors as licensing_selectors
from marketplace import selectors as marketplace_selectors

SCHEMA = "https://cocreate.example/schemas/compliance-platform/1.1"
SECTIONS = (
    "decision_totals",
    "action_totals",
    "resolution_times",
    "disputes",
    "staff_actions",
)
CHUNK = 500


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _disputes(start: datetime, end: datetime) -> Iterator[dict]:
    for d in marketplace_selectors.disputes_settled_in(start=start, end=end).iterator(
        chunk_size=CHUNK
    ):
        if d.resolved_by_id is None:
            settled_by = "deadline"
        elif d.resolved_by and d.resolved_by.is_staff:
            settled_by = "staff"
        else:
            settled_by = "claimant"
        yield {
            "id": str(d.pk),
            "claim": str(d.claim_id),
            "claimant": d.claim.organization.slug if d.claim.organization else None,
            "status": d.status,
            "settled_by": settled_by,
            "opened_at": _iso(d.created_at),
            "resolved_at": _iso(d.resolved_at),
            "hours_to_resolve": round((d.resolved_at - d.created_at).total_seconds() / 3600, 1),
            "note": d.resolution_note,
        }


def _staff_actions(start: datetime, end: datetime) -> Iterator[dict]:
    staff = accounts_selectors.staff_user_ids()
    events = audit_events_in(streams=None, start=start, end=end).filter(actor_id__in=staff)
    for e in events.iterator(chunk_size=CHUNK):
        yield {
            "at": _iso(e.occurred_at),
            "actor": e.actor_label,
            "action": e.action,
            "subject": f"{e.subject_type}:{e.subject_id}",
            "stream": e.stream,
            "seq": e.seq,
            "reason": e.reason,
        }


def platform_sections(*, start: datetime, end: datetime) -> dict[str, Iterable[dict]]:
    return {
        "decision_totals": licensing_selectors.decision_totals(start=start, end=end),
        "action_totals": audit_action_totals(start=start, end=end),
        "resolution_times": marketplace_selectors.resolution_times(start=start, end=end),
        "disputes": _disputes(start, end),
        "staff_actions": _staff_actions(start, end),
    }


def platform_export(*, start: datetime, end: datetime, fmt: str) -> Iterator[bytes]:
    """The signed platform report, streamed (JSON or CSV like a rightsholder's)."""
    sections = platform_sections(start=start, end=end)
    manifest: dict[str, Any] = {
        "report": "platform",
        "scope": {"stream": "*"},
        "period": {"from": _iso(start), "to": _iso(end)},
        "filters": {},
        "audit_head": audit_heads_digest(before=end),
    }
    if fmt == "csv":
        counts: dict[str, int] = {}
        return csv_export(
            lines=compliance_csv_lines(sections, counts, names=SECTIONS),
            counts=counts,
            manifest=manifest,
        )
    header = {"schema": SCHEMA, "period": manifest["period"]}
    return json_export(header=header, sections=sections, manifest=manifest)
