"""Fee holds: what holding, securing and capturing a request's per-generation fees adds
to each generation request, on PostgreSQL.

Runs N requests through the real pipeline's writes in process (create → policy check →
signing → published; the render and the C2PA signing are left out, as they are the
same with or without fees) for a creator whose licence charges a per-generation fee,
paid from a funded wallet. Payments' three handlers (hold at create, secure at the
check, capture on publish) are timed where the events call them: that sum per request
is the overhead. Baseline in the same run: the same flow for a licence without a fee
(no hold, nothing captured), whose total per request is printed beside the fee flow's.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_bench \\
        .venv/bin/python bench/holds.py

Target (issue 16): overhead ≤ 10 ms p50.
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
WARMUP = 10
TARGET_MS = 10.0


def _stats(values: list[float]) -> str:
    ordered = sorted(v * 1000 for v in values)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered):6.2f} ms, p95 {p95:6.2f} ms (n={len(ordered)})"


def _timed_handlers(spent: list[float]):
    """Wrap payments' fee handlers in the events registry so each call adds its time to
    the current request's total (spent[-1])."""
    from core import events

    wrapped = {}
    for event_type, entries in events._handlers.items():
        for index, (handler, when) in enumerate(entries):
            if handler.__module__ != "payments.handlers" or "generation_fees" not in (
                handler.__name__
            ):
                continue

            def timed(event, _handler=handler):
                started = time.perf_counter()
                try:
                    return _handler(event)
                finally:
                    spent[-1] += time.perf_counter() - started

            entries[index] = (timed, when)
            wrapped[handler.__name__] = event_type.__name__
    return wrapped


def _flow(creator, character, prompt: str) -> None:
    from marketplace import services

    request = services.generation_request_create(
        creator=creator, prompt=prompt, character_ids=[character.pk], enqueue=False
    )
    services.generation_check(request_id=request.pk)
    services.generation_transition(request_id=request.pk, to="signing")
    services.generation_transition(request_id=request.pk, to="published")


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print(
            "holds: needs DATABASE_URL pointing at a PostgreSQL database, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_bench "
            ".venv/bin/python bench/holds.py (skipped)"
        )
        return 0
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from payments.enums import FeeHoldStatus
    from payments.models import FeeHold
    from tests.factories import (
        CharacterFactory,
        OrganizationFactory,
        UserFactory,
        fund_wallet,
        grant_for,
    )

    # The database keeps earlier runs' rows: number this run's people and studios apart.
    run = time.time_ns() // 1_000 % 10**12
    for factory in (UserFactory, OrganizationFactory, CharacterFactory):
        factory.reset_sequence(run)

    paid = CharacterFactory(name=f"Bench Paid {run}")
    free = CharacterFactory(name=f"Bench Free {run}")
    creator = UserFactory()
    grant_for(paid, creator, per_generation_fee=50)
    grant_for(free, creator)
    fund_wallet(creator, 50 * (N + WARMUP))

    spent: list[float] = []
    wrapped = _timed_handlers(spent)
    print(f"holds: timing {', '.join(sorted(wrapped))} over {N} requests each way")
    totals: dict[str, list[float]] = {"fee": [], "free": []}
    overhead: list[float] = []
    for i in range(N + WARMUP):
        for kind, character in (("fee", paid), ("free", free)):
            spent.append(0.0)
            started = time.perf_counter()
            _flow(creator, character, f"{character.name} waves, take {i}")
            if i >= WARMUP:
                totals[kind].append(time.perf_counter() - started)
                if kind == "fee":
                    overhead.append(spent[-1])
    captured = FeeHold.objects.filter(creator=creator, status=FeeHoldStatus.CAPTURED).count()
    assert captured == N + WARMUP, captured
    p50 = statistics.median(overhead) * 1000
    print(f"  hold + secure + capture (the overhead): {_stats(overhead)}")
    print(f"  request flow with a fee:                {_stats(totals['fee'])}")
    print(f"  baseline, the same flow without a fee:  {_stats(totals['free'])}")
    print(
        f"  target: overhead p50 ≤ {TARGET_MS:.0f} ms: "
        f"{'met' if p50 <= TARGET_MS else 'NOT met'} ({p50:.2f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
