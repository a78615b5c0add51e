"""Rewrite the read models of the two hottest reads: the catalog's documents
(licensing/services/catalog.py) and the feed's entries (marketplace/services/feed.py),
and recount the works' like, remix and comment counters (marketplace/services/counters.py).
The services keep them current as they write; run this after migrating, after a bulk
load (bench/make_data.py runs it) or after editing rows outside the services."""

import time

from django.core.management.base import BaseCommand

from licensing import services as licensing_services
from marketplace import services
from marketplace.models import Storyline
from marketplace.selectors_storylines import storyline_rankings_forget


class Command(BaseCommand):
    help = (
        "Rebuild the catalog documents and the feed entries from their sources, and "
        "recount the works' counters."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", choices=["catalog", "feed", "counters"], help="Rebuild one read model only."
        )

    def handle(self, *args, only: str | None = None, **options):
        if only in (None, "catalog"):
            started = time.perf_counter()
            listed = licensing_services.catalog_documents_rebuild()
            took = time.perf_counter() - started
            self.stdout.write(f"catalog: {listed:,} listed characters in {took:.1f} s")
        if only in (None, "feed"):
            started = time.perf_counter()
            published = services.feed_entries_rebuild()
            took = time.perf_counter() - started
            self.stdout.write(f"feed: {published:,} published works in {took:.1f} s")
        if only in (None, "counters"):
            started = time.perf_counter()
            fixed = services.work_counters_reconcile()
            took = time.perf_counter() - started
            corrected = ", ".join(f"{name} {n:,}" for name, n in fixed.items())
            self.stdout.write(f"counters: works corrected: {corrected} in {took:.1f} s")
        if only in (None, "feed", "counters"):
            # The storylines' cached rankings are made of both: rank afresh.
            storyline_rankings_forget(storyline_ids=Storyline.objects.values_list("pk", flat=True))
