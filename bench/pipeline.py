"""Pipeline overhead: the time from queued to published minus the render time.

Starts a real Celery worker on Redis (REDIS_URL) and the configured database, submits
N generation requests for a licensed character, and reads each request's events:
overhead = (published - queued) - (signing - rendering). The render time itself is
bench/render.py's business; this isolates what the pipeline adds (policy check,
charge, C2PA signing, routing, the broker hops). Baseline in the same run: a bare
Celery ping round trip through the same broker and worker.

    REDIS_URL=redis://127.0.0.1:6379/0 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_bench \\
        .venv/bin/python bench/pipeline.py

Without DATABASE_URL it uses the development SQLite database in var/.
"""

import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
N = int(os.environ.get("BENCH_N", "12"))
UNSETTLED = ("queued", "checking", "rendering", "signing")


def _ms(values: list[float]) -> str:
    ordered = sorted(v * 1000 for v in values)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered):7.1f} ms, p95 {p95:7.1f} ms (n={len(ordered)})"


def main() -> int:
    if not os.environ.get("REDIS_URL"):
        print("pipeline: set REDIS_URL to run this benchmark (skipped)")
        return 0
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("provenance_keys", verbosity=0)
    call_command("seed_demo", verbosity=0)

    from accounts.models import User
    from config.celery import app
    from core.tasks import ping
    from licensing.models import Character
    from marketplace import services
    from marketplace.models import GenerationRequest

    creator = User.objects.get(email="creator@cocreate.test")
    hoshi = Character.objects.get(name="Hoshi-chan")
    app.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "default,render,money",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:
        ping.delay("warm-up").get(timeout=60)
        baseline = []
        for _ in range(20):
            start = time.perf_counter()
            ping.delay(uuid.uuid4().hex).get(timeout=30)
            baseline.append(time.perf_counter() - start)

        # One request at a time, so no request waits behind another: the overhead is
        # what the pipeline itself adds.
        ids = []
        for i in range(N):
            request = services.generation_request_create(
                creator=creator,
                prompt=f"Hoshi-chan dances, take {i}",
                character_ids=[hoshi.pk],
                duration_s=4,
                seed=i,
            )
            ids.append(request.pk)
            deadline = time.monotonic() + 120
            while GenerationRequest.objects.get(pk=request.pk).status in UNSETTLED:
                if time.monotonic() > deadline:
                    print("pipeline: a request did not finish in time")
                    return 1
                time.sleep(0.02)
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    totals, renders, overheads = [], [], []
    for request in GenerationRequest.objects.filter(pk__in=ids).prefetch_related("events"):
        at = {e.to_status: e.created_at for e in request.events.all()}
        if request.status != "published":
            print(f"pipeline: request {request.pk} ended {request.status}: {request.reason}")
            return 1
        total = (at["published"] - at["queued"]).total_seconds()
        render = (at["signing"] - at["rendering"]).total_seconds()
        totals.append(total)
        renders.append(render)
        overheads.append(total - render)
    print(f"pipeline: {N} requests of 4 s clips, one worker (concurrency 1), one at a time")
    print(f"  baseline celery ping round trip     {_ms(baseline)}")
    print(f"  queued → published                  {_ms(totals)}")
    print(f"  render time                         {_ms(renders)}")
    print(f"  pipeline overhead (total - render)  {_ms(overheads)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
