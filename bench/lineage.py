"""Lineage reads at scale: ancestors and descendants of works in 20-deep remix chains.

Needs the scale data set (bench/make_data.py) in a PostgreSQL DATABASE_URL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_scale \\
        .venv/bin/python bench/lineage.py

For BENCH_N (default 200) chains 20 deep it times, in the same run and on the same
works:

  - ancestors of the chain's tail (20 levels up): ``marketplace.selectors.work_ancestors``
    (one recursive CTE) against the baseline, the per-level loop the selector used
    before (one query per level, copied below);
  - descendants of the chain's root (the 20 remixes below it, plus any branch):
    ``work_descendants`` (one recursive CTE) against its former per-level loop.

Each pair must return the same works; it prints the median and p99 per call and the
queries per call. Rounds alternate between the two so load on the shared machine hits
both alike.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

N = int(os.environ.get("BENCH_N", "200"))
ROUNDS = 3
MAX_LINEAGE = 20


def ancestors_per_level(work):
    """The former ``work_ancestors``: one query per level."""
    from marketplace.models import Work

    chain = []
    current = work.parent
    while current is not None and len(chain) < MAX_LINEAGE:
        chain.append(current)
        current = Work.objects.select_related("parent", "creator").get(pk=current.pk).parent
    return chain


def descendants_per_level(work, limit: int = 50):
    """The former ``work_descendants``: one query per level."""
    from marketplace.enums import WorkStatus
    from marketplace.models import Work

    found: list = []
    frontier = [work.pk]
    while frontier and len(found) < limit:
        children = list(
            Work.objects.filter(parent_id__in=frontier, status=WorkStatus.PUBLISHED)
            .select_related("creator")
            .order_by("published_at", "id")[: limit - len(found)]
        )
        found.extend(children)
        frontier = [c.pk for c in children]
    return found


def _stats(ms: list[float]) -> str:
    ordered = sorted(ms)
    p99 = ordered[max(0, round(len(ordered) * 0.99) - 1)]
    return f"median {statistics.median(ordered):7.2f} ms, p99 {p99:7.2f} ms"


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "lineage: needs the scale data set in a PostgreSQL DATABASE_URL "
            "(bench/make_data.py; see bench/api_latency.py's docstring) (skipped)"
        )
        return 0
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marketplace import selectors
    from marketplace.models import Work

    works = Work.objects.count()
    tails = list(
        Work.objects.filter(depth=MAX_LINEAGE, parent__isnull=False)
        .select_related("parent")
        .order_by("id")[:N]
    )
    if not tails:
        print("lineage: no 20-deep chain: make the data set first (skipped)")
        return 0
    roots = []
    for tail in tails:
        chain = selectors.work_ancestors(work=tail)
        roots.append(chain[-1])
    print(f"lineage: {works:,} works; {len(tails)} chains 20 deep; {ROUNDS} rounds each")

    # Same answers, and the query counts, first.
    queries = {}
    for label, run, items in (
        ("ancestors, recursive CTE", lambda w: selectors.work_ancestors(work=w), tails),
        ("ancestors, per level", ancestors_per_level, tails),
        ("descendants, recursive CTE", lambda w: selectors.work_descendants(work=w), roots),
        ("descendants, per level", descendants_per_level, roots),
    ):
        with CaptureQueriesContext(connection) as captured:
            run(items[0])
        queries[label] = len(captured.captured_queries)
    mismatches = sum(
        [a.pk for a in selectors.work_ancestors(work=t)] != [a.pk for a in ancestors_per_level(t)]
        for t in tails
    ) + sum(
        [d.pk for d in selectors.work_descendants(work=r)]
        != [d.pk for d in descendants_per_level(r)]
        for r in roots
    )

    timings: dict[str, list[float]] = {label: [] for label in queries}
    for _ in range(ROUNDS):
        for tail, root in zip(tails, roots, strict=True):
            for label, run, work in (
                ("ancestors, per level", ancestors_per_level, tail),
                ("ancestors, recursive CTE", lambda w: selectors.work_ancestors(work=w), tail),
                ("descendants, per level", descendants_per_level, root),
                (
                    "descendants, recursive CTE",
                    lambda w: selectors.work_descendants(work=w),
                    root,
                ),
            ):
                started = time.perf_counter()
                run(work)
                timings[label].append((time.perf_counter() - started) * 1000)
    for label in ("ancestors, per level", "ancestors, recursive CTE"):
        print(f"  {label:<28} {_stats(timings[label])}  ({queries[label]} queries)")
    for label in ("descendants, per level", "descendants, recursive CTE"):
        print(f"  {label:<28} {_stats(timings[label])}  ({queries[label]} queries)")
    for kind in ("ancestors", "descendants"):
        base = statistics.median(timings[f"{kind}, per level"])
        cte = statistics.median(timings[f"{kind}, recursive CTE"])
        print(f"  {kind}: the CTE takes {cte / base:.2f}x the per-level loop's median")
    print(f"  same works from both: {'yes' if not mismatches else f'NO ({mismatches} differ)'}")
    load = os.getloadavg()
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
