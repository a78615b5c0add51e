"""manage.py export_compliance (--org SLUG | --person EMAIL | --platform) --from DATE
--to DATE --format csv|json [--output FILE]: a rightsholder's compliance report, or the
platform's across all of them, signed (docs/compliance.md). Streamed: memory stays flat
whatever the period."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts import selectors as accounts_selectors
from core.errors import DomainError
from dashboard.compliance import compliance_export, compliance_period
from dashboard.platform_report import platform_export


class Command(BaseCommand):
    help = "Export a rightsholder's signed compliance report as CSV or JSON."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--org", help="Organization slug")
        who.add_argument("--person", help="A likeness owner's e-mail")
        who.add_argument(
            "--platform", action="store_true", help="The platform report (all rightsholders)"
        )
        parser.add_argument("--from", dest="start", required=True)
        parser.add_argument("--to", dest="end", required=True)
        parser.add_argument("--format", choices=["csv", "json"], default="json")
        parser.add_argument("--output", help="Write to this file instead of standard output")

    def handle(self, *args, org, person, platform, start, end, format, output, **options):
        owner = None
        if platform:
            pass
        elif org:
            owner = accounts_selectors.organization_by_slug(slug=org)
            if owner is None:
                raise CommandError(f"No organization with slug {org!r}")
        else:
            owner = accounts_selectors.user_by_email(email=person)
            if owner is None:
                raise CommandError(f"No person with e-mail {person!r}")
        try:
            start_at, end_at = compliance_period(start=start, end=end)
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        if owner is None:
            chunks = platform_export(start=start_at, end=end_at, fmt=format)
        else:
            chunks = compliance_export(owner=owner, start=start_at, end=end_at, fmt=format)
        if output:
            with open(output, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            self.stderr.write(f"Wrote {output}")
            return
        for chunk in chunks:
            # Each chunk ends on a whole UTF-8 character (a record, a line).
            self.stdout.write(chunk.decode(), ending="")
