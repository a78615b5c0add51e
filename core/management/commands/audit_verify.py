"""manage.py audit_verify [--stream NAME ...]: re-walk the audit trail's hash chains
and report the first broken link of each broken stream (exit status 1)."""

from django.core.management.base import BaseCommand, CommandError

from core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chains; report the first broken link per stream."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stream", action="append", dest="streams", help="Only this stream (repeatable)."
        )

    def handle(self, *args, streams=None, **options):
        checked, broken = audit_verify(streams=streams)
        if broken:
            for link in broken:
                self.stderr.write(f"BROKEN {link}")
            raise CommandError(
                f"{len(broken)} broken stream(s); {checked} event(s) read up to the breaks."
            )
        self.stdout.write(f"OK: {checked} audit event(s) verified, every chain intact.")
