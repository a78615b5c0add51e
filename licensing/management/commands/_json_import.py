"""What the JSON import commands share: read a JSON list, import it row by row, report
each bad row by number and a one-line summary, and fail only when no row imported."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class JsonImportCommand(BaseCommand):
    #: What the list holds, for the error message ("characters").
    rows_are = "rows"
    #: The service that imports the rows: ``importer(rows=...)`` returns a report with
    #: created, updated, unchanged and errors.
    importer: Callable[..., Any]

    def handle(self, *args, file: Path, **options):
        try:
            rows = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {file}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{file} is not valid UTF-8 JSON: {exc}") from exc
        if not isinstance(rows, list):
            raise CommandError(f"The file must contain a JSON list of {self.rows_are}.")
        report = type(self).importer(rows=rows)
        for number, message in report.errors:
            self.stderr.write(f"row {number}: {message}")
        summary = (
            f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.errors)} error(s) in {len(rows)} row(s)"
        )
        self.stdout.write(self.style.SUCCESS(summary) if not report.errors else summary)
        if report.errors and not (report.created or report.updated or report.unchanged):
            raise CommandError("No row could be imported.")
