"""manage.py import_revenue FILE.csv: ad revenue, columns external_id, work_id, amount
(minor units), currency, occurred_at. A bad row rejects the whole file, with row
numbers; a row for a non-commercial work is refused on its own, with the reason, and
the others import; a re-import of the same rows changes nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payments.services.imports import revenue_import_csv


class Command(BaseCommand):
    help = "Import ad revenue from a CSV file (every well-formed row or none)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {file}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text") from exc
        report = revenue_import_csv(text=text)
        if report.errors:
            for line, problem in report.errors:
                self.stderr.write(f"row {line}: {problem}")
            raise CommandError(f"Nothing imported: {len(report.errors)} bad row(s).")
        for line, reason in report.refused:
            self.stdout.write(self.style.WARNING(f"row {line} refused: {reason}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.imported} imported, {report.already} already imported, "
                f"{len(report.refused)} refused."
            )
        )
