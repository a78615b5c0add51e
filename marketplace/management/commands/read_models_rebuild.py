"""Rewrite the read models of the two hottest reads: the catalog's documents
(licensing/services/catalog.py) and the feed's entries (marketplace/services/feed.py).
The services keep them current as they write; run this after migrating, after a bulk
load (bench/make_data.py runs it) or after editing rows outside the services."""

import time

from django.core.management.base import BaseCommand

from licensing import services as licensing_services
from marketplace import services


class Command(BaseCommand):
    help = "Rebuild the catalog documents and the feed entries from their sources."

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", choices=["catalog", "feed"], help="Rebuild one read model only."
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
