"""manage.py import_characters FILE.json: bulk-import a catalogue.

The file is a JSON list of {"owner": org slug (or a person's email for a likeness),
"name", "aliases": [...], "description", "kind", "disallowed"}, optionally with
"lookalike_action" (refuse, review or allow). Idempotent on (owner, name); a bad row is
reported by number and every valid row is still imported. The workers embed the new
descriptions for lookalike screening (``embed_descriptions`` does it here)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from licensing.services.imports import characters_import


class Command(BaseCommand):
    help = "Import characters from a JSON file (idempotent on owner and name)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            rows = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {file}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{file} is not valid UTF-8 JSON: {exc}") from exc
        if not isinstance(rows, list):
            raise CommandError("The file must contain a JSON list of characters.")
        report = characters_import(rows=rows)
        for number, message in report.errors:
            self.stderr.write(f"row {number}: {message}")
        summary = (
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.errors)} error(s) in {len(rows)} row(s)"
        )
        self.stdout.write(self.style.SUCCESS(summary) if not report.errors else summary)
        if report.errors and not (report.created or report.updated or report.unchanged):
            raise CommandError("No row could be imported.")
