"""The compliance report: everything Cocreate knows about one rightsholder's characters
in a period. The report a studio or a regulator asks for (Japan's AI Promotion Act,
Article 16, lets the government request reports from AI businesses). The JSON format
is documented in docs/compliance.md; the CSV has one row per record with a
``record_type`` column."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from django.db.models import Q

from accounts.models import Organization
from licensing.models import Character, Claim, Grant, PolicyDecision

SCHEMA_VERSION = "1.0"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def compliance_report(
    *, organization: Organization, start: datetime, end: datetime
) -> dict[str, Any]:
    """Every policy decision that involved the organization's characters (allowed and
    refused, with reasons), their grants, the works that show them, the organization's
    claims and their outcomes, and its revenue and payouts, in [start, end)."""
    from marketplace.models import Work
    from payments.models import LedgerEntry, Payout

    characters = Character.objects.filter(owner_organization=organization)
    character_ids = set(characters.values_list("pk", flat=True))
    window = {"created_at__gte": start, "created_at__lt": end}

    decisions = (
        PolicyDecision.objects.filter(characters__in=character_ids, **window)
        .distinct()
        .order_by("created_at", "id")
        .prefetch_related("characters")
    )
    grants = (
        Grant.objects.filter(character__in=character_ids)
        .filter(
            Q(created_at__gte=start, created_at__lt=end)
            | Q(activated_at__lt=end, ended_at__isnull=True)
        )
        .select_related("character", "offer", "licensee")
        .order_by("created_at", "id")
    )
    works = (
        Work.objects.filter(licenses__character__in=character_ids, **window)
        .distinct()
        .select_related("creator")
        .prefetch_related("licenses__character")
        .order_by("created_at", "id")
    )
    claims = (
        Claim.objects.filter(organization=organization, **window)
        .select_related("character", "work", "dispute")
        .order_by("created_at", "id")
    )
    entries = (
        LedgerEntry.objects.filter(account__organization=organization, **window)
        .select_related("account", "transaction")
        .order_by("created_at", "id")
    )
    payouts = Payout.objects.filter(
        connected_account__organization=organization, **window
    ).order_by("created_at", "id")
    return {
        "schema": f"https://cocreate.example/schemas/compliance/{SCHEMA_VERSION}",
        "organization": {"slug": organization.slug, "name": organization.name},
        "period": {"from": _iso(start), "to": _iso(end)},
        "characters": [
            {"id": str(c.pk), "name": c.name, "disallowed": c.disallowed} for c in characters
        ],
        "policy_decisions": [
            {
                "id": str(d.pk),
                "at": _iso(d.created_at),
                "allowed": d.allowed,
                "purpose": d.purpose,
                "prompt": d.prompt,
                "engine_version": d.engine_version,
                "inputs_hash": d.inputs_hash,
                "characters": sorted(
                    str(c.pk) for c in d.characters.all() if c.pk in character_ids
                ),
                "reasons": [
                    r
                    for r in d.reasons
                    if not r.get("character_id")
                    or r["character_id"] in {str(i) for i in character_ids}
                ],
            }
            for d in decisions
        ],
        "grants": [
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
            for g in grants
        ],
        "works": [
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
            for w in works
        ],
        "claims": [
            {
                "id": str(c.pk),
                "work": str(c.work_id),
                "character": str(c.character_id),
                "reason": c.reason,
                "policy": c.policy,
                "status": c.status,
                "filed_at": _iso(c.created_at),
                "resolved_at": _iso(c.resolved_at),
                "dispute": (
                    {
                        "status": c.dispute.status,
                        "reason": c.dispute.reason,
                        "opened_at": _iso(c.dispute.created_at),
                        "resolved_at": _iso(c.dispute.resolved_at),
                    }
                    if hasattr(c, "dispute")
                    else None
                ),
            }
            for c in claims
        ],
        "revenue": [
            {
                "at": _iso(e.created_at),
                "account": e.account.kind,
                "amount": e.amount,
                "currency": e.currency,
                "transaction": e.transaction.kind,
                "memo": e.transaction.memo,
                "work": str(e.work_id) if e.work_id else None,
            }
            for e in entries
        ],
        "payouts": [
            {
                "id": str(p.pk),
                "status": p.status,
                "amount": p.amount,
                "currency": p.currency,
                "created_at": _iso(p.created_at),
                "paid_at": _iso(p.paid_at),
                "failure_reason": p.failure_reason,
            }
            for p in payouts
        ],
    }


SECTIONS = ("characters", "policy_decisions", "grants", "works", "claims", "revenue", "payouts")


def compliance_csv(report: dict[str, Any]) -> str:
    """The report as one CSV: a ``record_type`` column, then each record's fields
    (nested values as JSON)."""
    import json

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
