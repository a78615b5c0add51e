"""The compliance report: everything Cocreate knows about one rightsholder's characters
in a period. The report a studio or a regulator asks for (Japan's AI Promotion Act,
Article 16, lets the government request reports from AI businesses). The JSON format
is documented in docs/compliance.md; the CSV has one row per record with a
``record_type`` column.

It reads every app (characters and decisions, works and claims, money), each through
that app's selectors, so it lives above them all. One function per section."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from licensing import selectors as licensing_selectors
from marketplace import selectors as marketplace_selectors
from payments import selectors as payments_selectors

if TYPE_CHECKING:
    from accounts.models import Organization

SCHEMA_VERSION = "1.0"
SECTIONS = ("characters", "policy_decisions", "grants", "works", "claims", "revenue", "payouts")


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def compliance_report(
    *, organization: Organization, start: datetime, end: datetime
) -> dict[str, Any]:
    """Every policy decision that involved the organization's characters (allowed and
    refused, with reasons), their grants, the works that show them, the organization's
    claims and their outcomes, and its revenue and payouts, in [start, end)."""
    characters = list(licensing_selectors.characters_of_organization(organization=organization))
    ids = {c.pk for c in characters}
    return {
        "schema": f"https://cocreate.example/schemas/compliance/{SCHEMA_VERSION}",
        "organization": {"slug": organization.slug, "name": organization.name},
        "period": {"from": _iso(start), "to": _iso(end)},
        "characters": [
            {"id": str(c.pk), "name": c.name, "disallowed": c.disallowed} for c in characters
        ],
        "policy_decisions": _decisions(ids, start, end),
        "grants": _grants(ids, start, end),
        "works": _works(ids, start, end),
        "claims": _claims(organization, start, end),
        "revenue": _revenue(organization, start, end),
        "payouts": _payouts(organization, start, end),
    }


def _decisions(character_ids: set, start: datetime, end: datetime) -> list[dict]:
    """Each decision, with only the reasons about the organization's characters."""
    own = {str(i) for i in character_ids}
    return [
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
        )
    ]


def _grants(character_ids: set, start: datetime, end: datetime) -> list[dict]:
    return [
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
        )
    ]


def _works(character_ids: set, start: datetime, end: datetime) -> list[dict]:
    return [
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
        )
    ]


def _dispute(claim) -> dict | None:
    if not hasattr(claim, "dispute"):
        return None
    return {
        "status": claim.dispute.status,
        "reason": claim.dispute.reason,
        "opened_at": _iso(claim.dispute.created_at),
        "resolved_at": _iso(claim.dispute.resolved_at),
    }


def _claims(organization: Organization, start: datetime, end: datetime) -> list[dict]:
    return [
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
        )
    ]


def _revenue(organization: Organization, start: datetime, end: datetime) -> list[dict]:
    return [
        {
            "at": _iso(e.created_at),
            "account": e.account.kind,
            "amount": e.amount,
            "currency": e.currency,
            "transaction": e.transaction.kind,
            "memo": e.transaction.memo,
            "work": str(e.work_id) if e.work_id else None,
        }
        for e in payments_selectors.entries_of_in(owner=organization, start=start, end=end)
    ]


def _payouts(organization: Organization, start: datetime, end: datetime) -> list[dict]:
    return [
        {
            "id": str(p.pk),
            "status": p.status,
            "amount": p.amount,
            "currency": p.currency,
            "created_at": _iso(p.created_at),
            "paid_at": _iso(p.paid_at),
            "failure_reason": p.failure_reason,
        }
        for p in payments_selectors.payouts_of_in(owner=organization, start=start, end=end)
    ]


def compliance_csv(report: dict[str, Any]) -> str:
    """The report as one CSV: a ``record_type`` column, then each record's fields
    (nested values as JSON)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["record_type", "field", "value", "record"])
    for section in SECTIONS:
        for index, record in enumerate(report[section]):
            for key, value in record.items():
                text = (
                    json.dumps(value, ensure_ascii=False)
                    if isinstance(value, list | dict)
                    else value
                )
                writer.writerow([section, key, "" if text is None else text, index])
    return out.getvalue()
