"""manage.py export_compliance --org SLUG --from DATE --to DATE --format csv|json
[--output FILE]: the organization's compliance report (docs/compliance.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from accounts import selectors as accounts_selectors
from dashboard.compliance import compliance_csv, compliance_report

if TYPE_CHECKING:
    pass


def _day(text: str, name: str) -> datetime:
    day = parse_date(text or "")
    if day is None:
        raise CommandError(f"--{name} must be a date like 2026-11-01")
    return datetime.combine(day, time.min, tzinfo=UTC)


class Command(BaseCommand):
    help = "Export an organization's compliance report as CSV or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument("--from", dest="start", required=True)
        parser.add_argument("--to", dest="end", required=True)
        parser.add_argument("--format", choices=["csv", "json"], default="json")
        parser.add_argument("--output", help="Write to this file instead of standard output")

    def handle(self, *args, org, start, end, format, output, **options):
        organization = accounts_selectors.organization_by_slug(slug=org)
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}")
        start_at, end_at = _day(start, "from"), _day(end, "to")
        if end_at <= start_at:
            raise CommandError("--to must be after --from")
        report = compliance_report(organization=organization, start=start_at, end=end_at)
        text = (
            compliance_csv(report)
            if format == "csv"
            else json.dumps(report, ensure_ascii=False, indent=2)
        )
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(text)
