"""manage.py embed_descriptions: embed every character description whose embedding is
missing or stale, in batches, here and now (the backfill after an import, a model
upgrade or a broker outage). The workers do the same for each edit as it commits, and
beat runs it every ten minutes; a second run finds nothing to do."""

import time

from django.core.management.base import BaseCommand

from licensing.services.embeddings import SWEEP_BATCH, character_embeddings_refresh_stale


class Command(BaseCommand):
    help = "Embed the character descriptions whose embeddings are missing or stale."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=SWEEP_BATCH,
            help=f"Descriptions embedded and written together (default {SWEEP_BATCH}).",
        )

    def handle(self, *args, batch_size: int, **options):
        start = time.perf_counter()

        def progress(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - start, 1e-9)
            self.stdout.write(f"  {done:,} of {total:,} checked ({rate:,.0f}/s)")

        changed = character_embeddings_refresh_stale(
            batch_size=max(1, batch_size), progress=progress
        )
        seconds = time.perf_counter() - start
        self.stdout.write(
            self.style.SUCCESS(f"{changed:,} embedding(s) written or dropped in {seconds:.1f} s")
        )
