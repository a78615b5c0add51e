"""manage.py audit_verify_export FILE: whether a compliance export is as Cocreate signed
it (manifest signature, signer certificate, body hash, row counts); exit status 1 and
the reasons when it is not."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dashboard.export_signing import export_verify


class Command(BaseCommand):
    help = "Verify a signed compliance export (JSON or CSV)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The export file")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        check = export_verify(data=path.read_bytes())
        if not check.valid:
            for reason in check.reasons:
                self.stderr.write(f"INVALID: {reason}")
            raise CommandError(f"{file} is not a valid Cocreate export.")
        manifest = check.manifest or {}
        head = manifest.get("audit_head") or {}
        self.stdout.write(
            f"VALID: {manifest.get('report')} report for {manifest['scope'].get('stream')}, "
            f"{manifest['period']['from']} to {manifest['period']['to']}, "
            f"rows {manifest.get('row_counts')}, audit head seq {head.get('seq', 0)} "
            f"{head.get('hash', '')[:16]}"
        )
