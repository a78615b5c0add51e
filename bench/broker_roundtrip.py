"""Task round-trip latency through the configured broker and a real worker process.

Baseline: a bare Redis PING round trip on the same connection URL, so the figure for
Celery reads as overhead on top of the network and the server. Needs REDIS_URL.

    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/broker_roundtrip.py
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
N = int(os.environ.get("BENCH_N", "200"))


def main() -> int:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        print("broker_roundtrip: set REDIS_URL to run this benchmark (skipped)")
        return 0
    import django
    import redis

    django.setup()
    from config.celery import app
    from core.tasks import ping

    client = redis.Redis.from_url(redis_url)
    baseline = []
    for _ in range(N):
        start = time.perf_counter()
        client.ping()
        baseline.append(time.perf_counter() - start)

    app.control.purge()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default",
         "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=os.environ.copy(),
    )  # fmt: skip
    try:
        ping.delay("warm-up").get(timeout=60)
        samples = []
        for _ in range(N):
            start = time.perf_counter()
            ping.delay(uuid.uuid4().hex).get(timeout=30)
            samples.append(time.perf_counter() - start)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    def fmt(values: list[float]) -> str:
        ms = sorted(v * 1000 for v in values)
        return f"median {statistics.median(ms):.2f} ms, p95 {ms[int(len(ms) * 0.95) - 1]:.2f} ms"

    print(f"broker_roundtrip: n={N}")
    print(f"  baseline redis PING     {fmt(baseline)}")
    print(f"  celery task round trip  {fmt(samples)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
