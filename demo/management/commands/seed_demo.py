"""Seed a small, believable, living demo marketplace, through the apps' services as
the people in it would have built it (see demo/seed/). Idempotent: a
second run finds everything and changes nothing."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.seed import seed_demo
from demo.seed.data import DEMO_PASSWORD
from demo.seed.progress import Progress


class Command(BaseCommand):
    help = (
        "Create the demo marketplace: studios, likeness owners, characters and offers, "
        "the starter watchlist, licences, rendered videos with a remix chain, revenue, a "
        "disputed claim and a paid payout (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even on production settings (the demo accounts share a published password).",
        )

    def handle(self, *args, **options):
        if getattr(settings, "IS_PRODUCTION", False) and not options["allow_production"]:
            raise CommandError(
                "These are production settings, and every demo account has the "
                f"published password {DEMO_PASSWORD!r}. Pass --allow-production to seed anyway."
            )
        quiet = options["verbosity"] == 0
        started = time.monotonic()
        report = seed_demo(progress=Progress(None if quiet else self._say))
        elapsed = time.monotonic() - started
        if quiet:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo marketplace ready in {elapsed:.1f} s: {report.studios} studios, "
                f"{report.characters} characters ({report.watchlist} more on the watchlist), "
                f"{report.works} published videos "
                f"(a remix chain {report.remix_depth} deep), payout of {report.payout}, "
                f"storyline “{report.storyline}” with {report.takes} takes."
            )
        )
        self.stdout.write(f"Log in at /accounts/login/ (password for everyone: {DEMO_PASSWORD}):")
        width = max(len(person.role) for person in report.people)
        for person in report.people:
            self.stdout.write(
                f"  {person.role:<{width}}  {person.email:<22}  try: {person.try_first}"
            )

    def _say(self, line: str) -> None:
        """One progress line, flushed: `make run` may pipe stdout, which buffers."""
        self.stdout.write(line)
        self.stdout.flush()
