"""What the media view's check costs per file request (core/web/media.py).

It migrates and seeds the demo into ``DATABASE_URL`` when it holds no works yet (a
published work and one waiting for its likeness owner, with their files):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_bench \\
        DATABASE_CONN_MAX_AGE=60 .venv/bin/python bench/media.py

(``DATABASE_CONN_MAX_AGE=60`` as production has it: at 0 every request also opens a
connection.)

In process, through Django's test client and the whole middleware stack, BENCH_N
(default 500) requests each, rounds alternating so load on the shared machine hits all
alike; it prints the median and p99 per request and the queries per request of:

  - the floor, ``GET /api/v1/ping/`` (the same middleware, no query);
  - a published work's poster with ``MEDIA_SENDFILE_HEADER=X-Accel-Redirect``: the
    signature check and the rule, the bytes left to the web server (production);
  - the same poster streamed by Python (development and tests);
  - a video waiting for approval, for its likeness owner, with X-Accel-Redirect (the
    rule's longest path: the rightsholder lookups).
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

N = int(os.environ.get("BENCH_N", "500"))
ROUNDS = 5


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from core.media import media_url
    from marketplace.models import Work
    from marketplace.selectors import work_rightsholder_of

    call_command("migrate", verbosity=0)
    if not Work.objects.exists():
        call_command("provenance_keys", verbosity=0)
        call_command("seed_demo", verbosity=0)
    published = Work.objects.filter(status="published").exclude(poster="").first()
    pending = Work.objects.filter(status="pending_approval").first()
    if published is None or pending is None:
        sys.exit("media: the database has works but no demo seed's (run it on an empty one)")
    person = next(
        lic.character.owner_user
        for lic in pending.licenses.select_related("character__owner_user")
        if lic.character.owner_user
        and work_rightsholder_of(work=pending, user=lic.character.owner_user)
    )
    client = Client()
    cases = {
        "floor: GET /api/v1/ping/": ("/api/v1/ping/", ""),
        "published poster, X-Accel-Redirect": (
            media_url(file=published.poster),
            "X-Accel-Redirect",
        ),
        "published poster, streamed": (media_url(file=published.poster), ""),
        "pending video for its likeness owner, X-Accel-Redirect": (
            media_url(file=pending.video, viewer=person),
            "X-Accel-Redirect",
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    queries: dict[str, int] = {}
    for _ in range(ROUNDS):
        for name, (url, header) in cases.items():
            settings.MEDIA_SENDFILE_HEADER = header
            for _ in range(N // ROUNDS):
                start = time.perf_counter()
                response = client.get(url)
                body = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                times[name].append(time.perf_counter() - start)
                assert response.status_code == 200, (name, response.status_code)
                assert header or body, name
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            queries[name] = len(captured.captured_queries)
    size = published.poster.size
    print(f"{N} requests each; poster {size:,} bytes")
    for name, values in times.items():
        values.sort()
        p50 = statistics.median(values) * 1000
        p99 = values[int(len(values) * 0.99) - 1] * 1000
        print(f"{name:58} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  {queries[name]} queries")


if __name__ == "__main__":
    main()
