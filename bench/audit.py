"""The audit trail: what recording an audit event adds to each policy decision, and how
long the platform compliance report takes to build for a month, on PostgreSQL.

1. Overhead per decision: N ``policy_screen`` calls (a prompt naming one studio's
   character, so one event in its stream) timed with the audit recording on, and N
   with ``_audit_decision`` replaced by a no-op: the difference of the p50s is the
   overhead. ``audit_record`` alone is timed too (its own transaction each).
2. The platform report for a month: DECISIONS policy decisions and as many audit
   events (spread over STREAMS rightsholder streams, chained, over the 30 days before
   now) are written with bulk inserts, then ``platform_export`` streams the signed JSON: its
   time, size and peak Python memory (tracemalloc) are printed, then the time the
   platform compliance page takes to gather and draw its charts for the month. Both
   tables are append-only: the rows stay, so use a scratch database.

At the scale data set's size (bench/make_data.py: 1,000,000 works over a year, none of
them with stored decisions) a month is ~83,000 works, each made after a screen and a
generation decision: BENCH_DECISIONS=170000 is that month.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_audit \\
        BENCH_N=300 BENCH_DECISIONS=200000 .venv/bin/python bench/audit.py
"""

import os
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
N = int(os.environ.get("BENCH_N", "300"))
DECISIONS = int(os.environ.get("BENCH_DECISIONS", "200000"))
STREAMS = int(os.environ.get("BENCH_STREAMS", "2000"))
WARMUP = 20


def _ms(values: list[float]) -> str:
    ordered = sorted(v * 1000 for v in values)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered):7.2f} ms, p95 {p95:7.2f} ms (n={len(ordered)})"


def _screen_times(creator, character, n: int) -> list[float]:
    from django.db import transaction

    from licensing import services

    times = []
    for i in range(n + WARMUP):
        started = time.perf_counter()
        with transaction.atomic():
            services.policy_screen(
                creator=creator, prompt=f"{character.name} waves {i}", character_ids=[character.pk]
            )
        if i >= WARMUP:
            times.append(time.perf_counter() - started)
    return times


def overhead() -> None:
    from django.db import transaction

    from core.audit import audit_record
    from licensing.services import policy
    from tests.factories import CharacterFactory, UserFactory, grant_for

    character = CharacterFactory(name=f"Bench Star {time.time_ns()}")
    creator = UserFactory()
    grant_for(character, creator)
    with_audit = _screen_times(creator, character, N)
    original = policy._audit_decision
    policy._audit_decision = lambda record, *, character_ids: None
    try:
        without = _screen_times(creator, character, N)
    finally:
        policy._audit_decision = original
    alone = []
    for i in range(N + WARMUP):
        started = time.perf_counter()
        with transaction.atomic():
            audit_record(action="bench.event", actor=None, subject=("bench", str(i)), scope=creator)
        if i >= WARMUP:
            alone.append(time.perf_counter() - started)
    p50 = statistics.median(with_audit) - statistics.median(without)
    print(f"policy_screen with the audit event:    {_ms(with_audit)}")
    print(f"policy_screen without it (baseline):   {_ms(without)}")
    print(f"audit overhead per decision (p50 diff): {p50 * 1000:7.2f} ms")
    print(f"audit_record alone, own transaction:   {_ms(alone)}")


def month() -> None:
    from core.audit import GENESIS, event_fields, event_hash
    from core.models import AuditEvent
    from dashboard.platform_report import platform_export
    from licensing.models import PolicyDecision
    from tests.factories import UserFactory

    # The decisions table is append-only, so its rows keep created_at = now; the audit
    # events are spread over the 30 days before now: one report covers both.
    end = datetime.now(UTC) + timedelta(minutes=5)
    start = end - timedelta(days=30)
    run = f"{time.time_ns():x}"[-8:]
    creator = UserFactory()
    step = (end - start) / max(DECISIONS, 1)
    codes = ["unlicensed_character", "disallowed", "territory", "content_rules", "lookalike"]
    countries = ["JP", "US", "FR", "", "KR"]
    began = time.perf_counter()
    batch, heads = [], {}
    for i in range(DECISIONS):
        allowed = i % 3 != 0
        batch.append(
            PolicyDecision(
                creator=creator,
                prompt=f"bench prompt {i}",
                inputs_hash=f"{i:064x}",
                allowed=allowed,
                reasons=[] if allowed else [{"code": codes[i % len(codes)], "message": "m"}],
                character_ids=[],
                context={"territory": countries[i % len(countries)]},
                engine_version="bench",
                purpose="screen",
            )
        )
        if len(batch) == 5000:
            PolicyDecision.objects.bulk_create(batch)
            batch = []
    PolicyDecision.objects.bulk_create(batch)
    events = []
    for i in range(DECISIONS):
        stream = f"org:bench-{run}-{i % STREAMS}"
        seq, prev = heads.get(stream, (0, GENESIS))
        event = AuditEvent(
            stream=stream,
            seq=seq + 1,
            occurred_at=start + step * i,
            actor_label="system",
            action="policy.refused" if i % 3 == 0 else "policy.allowed",
            subject_type="licensing.policydecision",
            subject_id=str(i),
            data={"reasons": []},
            reason="",
            prev_hash=prev,
        )
        event.hash = event_hash(event_fields(event))
        heads[stream] = (seq + 1, event.hash)
        events.append(event)
        if len(events) == 5000:
            AuditEvent.objects.bulk_create(events)
            events = []
    AuditEvent.objects.bulk_create(events)
    print(
        f"wrote {DECISIONS} decisions and {DECISIONS} audit events in {STREAMS} streams "
        f"in {time.perf_counter() - began:.1f} s"
    )
    tracemalloc.start()
    began = time.perf_counter()
    size = sum(len(chunk) for chunk in platform_export(start=start, end=end, fmt="json"))
    took = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"platform report for the month (signed JSON): {took:6.2f} s, {size / 1e3:8.1f} kB, "
        f"peak Python memory {peak / 1e6:6.1f} MB"
    )
    tracemalloc.start()
    began = time.perf_counter()
    page = platform_page_parts(start, end)
    took = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"platform compliance page for the month (charts, {len(page['decisions']['rows'])} "
        f"columns): {took:6.2f} s, peak Python memory {peak / 1e6:6.1f} MB"
    )


def platform_page_parts(start, end) -> dict:
    """What the platform compliance page gathers and draws, without the HTTP round."""
    from dashboard.web import compliance_pages
    from marketplace import selectors as marketplace_selectors

    return {
        "decisions": compliance_pages._decisions_chart(start, end),
        "reasons": compliance_pages._reasons_chart(start, end),
        "resolution_times": marketplace_selectors.resolution_times(start=start, end=end),
    }


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("provenance_keys", verbosity=0)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from tests.factories import CharacterFactory, OrganizationFactory, UserFactory

    # A rerun on the same database must not reuse the last run's e-mails and slugs.
    for made in (CharacterFactory, OrganizationFactory, UserFactory):
        made.reset_sequence(int(time.time()))
    print(f"== audit trail (PostgreSQL {os.environ.get('DATABASE_URL', 'sqlite')})")
    overhead()
    month()


if __name__ == "__main__":
    main()
