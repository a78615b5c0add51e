"""Generation throughput: requests per minute through the real pipeline, with one and
then two Celery worker processes.

Submits BENCH_N (default 12) generation requests of 4 s clips for a licensed demo
character all at once, and measures from the first submission until every one is
published: the policy check, the charge, the local renderer (H.264 on the CPU, one
thread), C2PA signing and publication, through Redis. Baseline, in the same run: one
worker process (concurrency 1) on every queue. Then the same with two worker processes
(concurrency 1 each), as ``make run``'s worker scaled out. Workers are started, and
answer a ping, before the clock starts.

    REDIS_URL=redis://127.0.0.1:6379/0 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_bench \\
        .venv/bin/python bench/generation_throughput.py

Needs REDIS_URL and a PostgreSQL DATABASE_URL (two workers write at once); it migrates
and seeds the demo data there (``seed_demo``, idempotent). On a machine with two cores
shared with other work, two workers cannot reach twice the rate of one: the figure
says how close they come.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

N = int(os.environ.get("BENCH_N", "12"))
UNSETTLED = ("queued", "checking", "rendering", "signing")
TIMEOUT_S = 900


def _worker(name: str) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "celery", "-A", "config", "--quiet", "worker",
         "-Q", "default,render,money", "--concurrency", "1", "--hostname", f"{name}@%h",
         "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=os.environ.copy(),
    )  # fmt: skip


def _run(workers: int, creator, character, label: int) -> tuple[float, list[str], list[int]]:
    """Seconds from the first submission until all N are settled, their statuses, and
    how many tasks each worker ran (pings included)."""
    from config.celery import app
    from core.tasks import ping
    from marketplace import services
    from marketplace.models import GenerationRequest

    app.control.purge()
    processes = [_worker(f"bench{label}-{i}") for i in range(workers)]
    try:
        # Each worker answers a ping before the clock starts (a ping lands on one of them;
        # several rounds make it likely every process has started).
        for _ in range(4 * workers):
            ping.delay("warm-up").get(timeout=120)
        time.sleep(2)
        started = time.perf_counter()
        ids = [
            services.generation_request_create(
                creator=creator,
                prompt=f"Hoshi-chan dances, run {label} take {i}",
                character_ids=[character.pk],
                duration_s=4,
                seed=label * 1000 + i,
            ).pk
            for i in range(N)
        ]
        deadline = time.monotonic() + TIMEOUT_S
        while GenerationRequest.objects.filter(pk__in=ids, status__in=UNSETTLED).exists():
            if time.monotonic() > deadline:
                raise SystemExit("generation_throughput: requests did not finish in time")
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        stats = app.control.inspect(timeout=5).stats() or {}
        shares = sorted(sum(s.get("total", {}).values()) for s in stats.values())
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=120)
    statuses = list(GenerationRequest.objects.filter(pk__in=ids).values_list("status", flat=True))
    return elapsed, statuses, shares


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not os.environ.get("REDIS_URL") or not url.startswith(("postgres://", "postgresql://")):
        print(
            "generation_throughput: needs REDIS_URL and a PostgreSQL DATABASE_URL, e.g.\n"
            "  createdb -h 127.0.0.1 -U postgres cocreate_bench\n"
            "  REDIS_URL=redis://127.0.0.1:6379/0 "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_bench "
            ".venv/bin/python bench/generation_throughput.py\n(skipped)"
        )
        return 0
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("provenance_keys", verbosity=0)
    call_command("seed_demo", verbosity=0)
    from accounts.models import User
    from licensing.models import Character

    creator = User.objects.get(email="creator@cocreate.test")
    hoshi = Character.objects.get(name="Hoshi-chan")
    load = os.getloadavg()
    print(
        f"generation_throughput: {N} requests of 4 s clips submitted at once, local renderer; "
        f"{os.cpu_count()} CPUs; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    ok = True
    rates = {}
    for workers in (1, 2):
        elapsed, statuses, shares = _run(workers, creator, hoshi, label=int(time.time()) % 100000)
        published = statuses.count("published")
        ok &= published == N
        rates[workers] = N / elapsed * 60
        label = "baseline: 1 worker " if workers == 1 else "2 worker processes"
        print(
            f"  {label}  {elapsed:6.1f} s for {N}: {rates[workers]:5.1f} requests/minute "
            f"({published} of {N} published; tasks per worker {shares})"
        )
    print(f"  two workers: {rates[2] / rates[1]:.2f}x one worker's rate")
    load = os.getloadavg()
    print(f"  load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
