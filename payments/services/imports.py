"""Ad revenue imported by staff from a CSV: every well-formed row or none. A well-formed
row for a work that may not earn (its licences do not allow commercial use) is refused
on its own, with the reason, and the other rows import."""

import csv
import io
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime

from core.money import Money
from marketplace import selectors as marketplace_selectors
from payments.enums import RevenueKind
from payments.services.revenue import (
    revenue_event_record,
    revenue_event_settle,
    work_earning_refusal,
)

COLUMNS = ("external_id", "work_id", "amount", "currency", "occurred_at")
# The most one line may carry (10 billion in major units of a 2-decimal currency): far
# below what the ledger's 64-bit sums hold, so no import can overflow them.
MAX_LINE_AMOUNT = 10**12


@dataclass
class RevenueImport:
    imported: int = 0
    already: int = 0
    # Malformed rows: any of them rejects the whole file.
    errors: list[tuple[int, str]] = field(default_factory=list)
    # Well-formed rows the terms refuse (a non-commercial work): skipped, each with why.
    refused: list[tuple[int, str]] = field(default_factory=list)


def _row(line: int, row: dict, works: dict) -> tuple[dict | None, str | None]:
    external = (row.get("external_id") or "").strip()
    if not external:
        return None, "external_id is required"
    try:
        work_id = uuid.UUID((row.get("work_id") or "").strip())
    except ValueError:
        return None, f"work_id {row.get('work_id')!r} is not a work id"
    work = works.get(work_id)
    if work is None:
        return None, f"no published work {work_id}"
    amount_text = (row.get("amount") or "").strip()
    if (
        not (amount_text.isascii() and amount_text.isdigit())
        or len(amount_text) > len(str(MAX_LINE_AMOUNT))
        or not 0 < int(amount_text) <= MAX_LINE_AMOUNT
    ):
        return None, (
            f"amount {amount_text[:30]!r} must be a whole number of minor units from 1 to "
            f"{MAX_LINE_AMOUNT:,}"
        )
    try:
        money = Money(int(amount_text), (row.get("currency") or "").strip().upper())
    except ValueError as exc:
        return None, str(exc)
    when_text = (row.get("occurred_at") or "").strip()
    when = parse_datetime(when_text) if "T" in when_text else None
    if when is None and parse_date(when_text):
        when = parse_datetime(when_text + "T00:00:00+00:00")
    if when is None or when.tzinfo is None:
        return None, f"occurred_at {when_text!r} must be an ISO date or a date-time with a zone"
    return {"external_id": external, "work": work, "money": money, "occurred_at": when}, None


def revenue_import_csv(*, text: str) -> RevenueImport:
    """Validate every row first; if any is bad, import nothing and report each bad row
    by its line number. Otherwise record and settle each row's ad revenue, idempotent
    on external id (a re-imported file changes nothing), except the rows for works that
    may not earn, which are reported as refused with the reason."""
    report = RevenueImport()
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append((1, f"missing column(s): {', '.join(missing)}"))
        return report
    rows = list(reader)
    ids = []
    for row in rows:
        try:
            ids.append(uuid.UUID((row.get("work_id") or "").strip()))
        except ValueError:
            continue
    works = marketplace_selectors.published_works_by_id(ids=ids)
    parsed, seen = [], set()
    for line, row in enumerate(rows, start=2):
        data, problem = _row(line, row, works)
        if data is not None and data["external_id"] in seen:
            problem = f"external_id {data['external_id']!r} appears twice"
        if problem or data is None:
            report.errors.append((line, problem or "invalid row"))
            continue
        seen.add(data["external_id"])
        refusal = work_earning_refusal(work=data["work"], kind=RevenueKind.AD_REVENUE)
        if refusal:
            report.refused.append((line, refusal))
            continue
        parsed.append(data)
    if report.errors:
        report.refused = []
        return report
    with transaction.atomic():
        for data in parsed:
            event, created = revenue_event_record(
                kind=RevenueKind.AD_REVENUE,
                source="import",
                external_id=data["external_id"],
                money=data["money"],
                work=data["work"],
                occurred_at=data["occurred_at"],
            )
            revenue_event_settle(event=event)
            if created:
                report.imported += 1
            else:
                report.already += 1
    return report
