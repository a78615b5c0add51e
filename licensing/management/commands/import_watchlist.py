"""manage.py import_watchlist [FILE.json]: add well-known characters nobody has
registered yet to the platform watchlist; prompts naming them are refused as not
licensable on Cocreate yet.

The file is a JSON list of {"name", "aliases": [...], "rightsholder", "note"} (and
optionally "active"); without a file, the starter list shipped in
licensing/data/watchlist.json. Idempotent on the name; a bad row is reported by number
and every valid row is still imported."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from licensing.services.watchlist import STARTER_FILE, watchlist_import


class Command(BaseCommand):
    help = "Import the platform watchlist from a JSON file (idempotent on the name)."

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            type=Path,
            nargs="?",
            default=STARTER_FILE,
            help="A JSON list of entries (default: the starter list shipped with Cocreate).",
        )

    def handle(self, *args, file: Path, **options):
        try:
            rows = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {file}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{file} is not valid UTF-8 JSON: {exc}") from exc
        if not isinstance(rows, list):
            raise CommandError("The file must contain a JSON list of watchlist entries.")
        report = watchlist_import(rows=rows)
        for number, message in report.errors:
            self.stderr.write(f"row {number}: {message}")
        summary = (
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.errors)} error(s) in {len(rows)} row(s)"
        )
        self.stdout.write(self.style.SUCCESS(summary) if not report.errors else summary)
        if report.errors and not (report.created or report.updated or report.unchanged):
            raise CommandError("No row could be imported.")
