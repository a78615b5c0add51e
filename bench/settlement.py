"""Revenue settlement throughput: a million revenue events into the ledger.

Creates its own marketplace in a dedicated PostgreSQL database (a few studios,
characters, offers and grants, BENCH_WORKS works with licences and remixes up to three
levels deep, made as rows: nothing is rendered), then loads BENCH_EVENTS + BENCH_SAMPLE
RECEIVED revenue events with COPY (setup, not timed). Then, in the same run:

  (a) baseline: the per-event path, ``revenue_event_settle`` called for each of the
      BENCH_SAMPLE sample events, as the webhook and the CSV import call it;
  (b) ``revenue_events_settle_bulk`` over the other BENCH_EVENTS events, all of them:
      the figure the goal (a million in under 60 s) is about. BENCH_WORKERS settlers
      (default 2, one per core of the target machine) run side by side, each in its own
      process and connection, as that many Celery workers would; SKIP LOCKED gives each
      its own batches.

Afterwards it checks the ledger: every event settled with its transaction, the entries
sum to zero per currency, and a random sample of bulk-settled events carries exactly the
entries that ``settlement_lines`` (the per-event computation) gives.

    createdb -h 127.0.0.1 -U postgres cocreate_settle
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_settle \\
    MEDIA_ROOT=/tmp/settle-media .venv/bin/python bench/settlement.py [--keep] [--events N]

The database is emptied (``flush``) before the run and again after it, unless --keep is
given; it refuses to touch a database holding users the bench did not create. Settings:
BENCH_EVENTS (1,000,000; or --events N), BENCH_SAMPLE (10,000), BENCH_WORKS (1,000), BENCH_BATCH
(20,000), BENCH_WORKERS (2), BENCH_SEED (7).
"""

import argparse
import multiprocessing
import os
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import uuid6

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

EVENTS = int(os.environ.get("BENCH_EVENTS", "1000000"))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", "10000"))
WORKS = int(os.environ.get("BENCH_WORKS", "1000"))
BATCH = int(os.environ.get("BENCH_BATCH", "20000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SEED = int(os.environ.get("BENCH_SEED", "7"))
GOAL_S = 60.0
CREATORS = 200
DOMAIN = "settle.bench"  # every bench user's e-mail ends with it
CHECKED = 500  # bulk-settled events re-derived with the per-event computation
LOCK_KEY = 0x5E771E  # advisory lock: one run per database at a time

# (studio or None for a person's likeness, character, rev share, upstream model, stack cap)
CHARACTERS = [
    ("Hoshi Studio", "Hoshi-chan", 1_500, "absolute", 5_000),
    ("Hoshi Studio", "Kuro Neko", 1_000, "relative", 5_000),
    ("Harbour Lights", "Captain Nami", 2_000, "absolute", 2_500),
    ("Moon Forge", "Ember", 500, "relative", 4_000),
    ("Moon Forge", "Quill", 0, "absolute", 5_000),
    (None, "Aiko Tanaka", 800, "absolute", 3_000),
]
# kind, share of events
KINDS = [("tip", 0.40), ("ad_revenue", 0.40), ("license_fee", 0.12), ("generation_fee", 0.08)]
CURRENCIES = [("USD", 0.80), ("EUR", 0.15), ("JPY", 0.05)]


def _say(text: str) -> None:
    print(text, flush=True)


def _guard_and_flush() -> None:
    """Empty the database, refusing one that holds anything but bench data or that
    another run of this bench is using (a session advisory lock, held until exit)."""
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            raise SystemExit("settlement: another run of this bench is using this database")
    foreign = User.objects.exclude(email__endswith="@" + DOMAIN).count()
    if foreign:
        raise SystemExit(
            f"settlement: refusing to flush a database with {foreign} users the bench did "
            "not create; point DATABASE_URL at a dedicated database (createdb cocreate_settle)"
        )
    call_command("flush", interactive=False, verbosity=0)


def _make_marketplace(rng: random.Random):
    """Studios, characters, published offers, grants and works with their licences."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import Membership, Organization, User
    from licensing import services as licensing
    from licensing.models import Character, Grant
    from licensing.terms import Terms
    from marketplace.models import GenerationRequest, Work, WorkLicense

    def person(name: str) -> User:
        slug = name.lower().replace(" ", ".")
        return User.objects.create_user(email=f"{slug}@{DOMAIN}", password=None, display_name=name)

    characters, offers = [], []
    studios: dict[str, Organization] = {}
    for studio_name, name, bps, model, cap in CHARACTERS:
        if studio_name is None:
            owner = person(name)
            character = Character.objects.create(kind="likeness", owner_user=owner, name=name)
        else:
            if studio_name not in studios:
                org = Organization.objects.create(
                    name=studio_name,
                    slug=studio_name.lower().replace(" ", "-"),
                    verification_status="verified",
                )
                Membership.objects.create(
                    organization=org, user=person(f"{studio_name} owner"), role="owner"
                )
                studios[studio_name] = org
            owner = studios[studio_name].memberships.get().user
            character = Character.objects.create(
                kind="character", owner_organization=studios[studio_name], name=name
            )
        terms = Terms(
            commercial_use=True,
            allowed_actions=("generate", "remix", "publish"),
            remix_policy="same_terms",
            credit_text=character.rightsholder_name,
            rev_share_bps=bps,
            upstream_model=model,
            max_stack_bps=cap,
            per_generation_fee=50,
        ).to_dict()
        draft = licensing.offer_create_draft(character=character, by=owner, terms=terms)
        characters.append(character)
        offers.append(licensing.offer_publish(offer=draft, by=owner))

    unusable = make_password(None)
    creators = User.objects.bulk_create(
        [
            User(email=f"creator{i}@{DOMAIN}", display_name=f"Creator {i}", password=unusable)
            for i in range(CREATORS)
        ]
    )
    now = timezone.now()
    grants = Grant.objects.bulk_create(
        [
            Grant(
                offer=offer,
                series=offer.series,
                character=offer.character,
                licensee=creator,
                status="active",
                max_fee=0,
                max_rev_share_bps=offer.parsed_terms.rev_share_bps,
                max_generation_fee=offer.parsed_terms.per_generation_fee,
                activated_at=now,
            )
            for creator in creators
            for offer in offers
        ]
    )
    grant_of = {(g.licensee_id, g.character_id): g for g in grants}
    offer_of = {o.character_id: o for o in offers}

    # Works in creation order; a remix picks an earlier work at most two levels deep.
    requests, works, licences = [], [], []
    own_chars: dict[uuid.UUID, list] = {}
    for i in range(WORKS):
        creator = rng.choice(creators)
        parent = None
        if works and rng.random() < 0.4:
            parent = rng.choice([w for w in works[-200:] if w.depth < 2] or [None])
        request = GenerationRequest(creator=creator, prompt=f"work {i}", seed=i, status="published")
        work = Work(
            request=request,
            creator=creator,
            parent=parent,
            depth=parent.depth + 1 if parent else 0,
            title=f"Work {i}",
            prompt=f"work {i}",
            status="published",
            video="bench/video.mp4",
            poster="bench/poster.jpg",
            duration_s=4.0,
            width=640,
            height=360,
            frame_count=96,
            backend="local",
            commercial=True,
            published_at=now,
        )
        requests.append(request)
        works.append(work)
        chosen = rng.sample(characters, rng.choice([0, 1, 1, 2]) if parent else rng.choice([1, 2]))
        own_chars[work.pk] = chosen
        for character in chosen:
            offer = offer_of[character.pk]
            licences.append(
                WorkLicense(
                    work=work,
                    character=character,
                    grant=grant_of[(creator.pk, character.pk)],
                    offer=offer,
                    terms_hash=offer.terms_hash,
                    rightsholder=character.rightsholder_name,
                    rev_share_bps=offer.parsed_terms.rev_share_bps,
                    upstream_model=offer.parsed_terms.upstream_model,
                )
            )
        # A remix carries its parent's obligations (own and inherited) as inherited rows.
        if parent is not None:
            mine = {c.pk for c in chosen}
            for row in [lic for lic in licences if lic.work is parent]:
                if row.character_id not in mine:
                    mine.add(row.character_id)
                    licences.append(
                        WorkLicense(
                            work=work,
                            character_id=row.character_id,
                            grant_id=row.grant_id,
                            offer_id=row.offer_id,
                            terms_hash=row.terms_hash,
                            rightsholder=row.rightsholder,
                            rev_share_bps=row.rev_share_bps,
                            upstream_model=row.upstream_model,
                            inherited=True,
                        )
                    )
    GenerationRequest.objects.bulk_create(requests)
    Work.objects.bulk_create(works)
    WorkLicense.objects.bulk_create(licences)
    return creators, grants, works, licences


def _fund_holds(creators) -> None:
    """Each creator's per-generation fees were held from their wallet when they asked
    for the videos: credit every creator's HOLD account in each currency, so settling
    their fees takes nothing below zero (PostgreSQL refuses that)."""
    from core.money import Money
    from payments.enums import AccountKind
    from payments.services.ledger import Line, account_for, ledger_post, platform_account

    for currency, _ in CURRENCIES:
        clearing = platform_account(kind=AccountKind.STRIPE_CLEARING, currency=currency)
        amount = Money(10**12, currency)
        lines = [Line(clearing, Money(-amount.amount * len(creators), currency))]
        lines += [
            Line(account_for(owner=c, kind=AccountKind.HOLD, currency=currency), amount)
            for c in creators
        ]
        ledger_post(key=f"bench-holds:{currency}", kind="bench.holds", lines=lines)


def _load_events(rng: random.Random, creators, grants, works) -> list[uuid.UUID]:
    """COPY EVENTS + SAMPLE RECEIVED events; returns the sample's ids."""
    from django.db import connection
    from django.utils import timezone

    from payments.models import RevenueEvent

    kinds = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS], k=EVENTS + SAMPLE)
    currencies = rng.choices(
        [c for c, _ in CURRENCIES], [w for _, w in CURRENCIES], k=EVENTS + SAMPLE
    )
    work_ids = [w.pk for w in works]
    creator_ids = [c.pk for c in creators]
    grant_rows = [(g.pk, g.licensee_id) for g in grants]
    now = timezone.now()
    sample: list[uuid.UUID] = []
    columns = (
        "id, kind, source, external_id, work_id, grant_id, payer_id, amount, currency, "
        "status, occurred_at, created_at"
    )
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {RevenueEvent._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for i, (kind, currency) in enumerate(zip(kinds, currencies, strict=True)):
            # As the model makes them (UUIDv7): events written in time order, ids ascending.
            event_id = uuid6.uuid7()
            work_id = grant_id = payer_id = None
            if kind == "tip":
                work_id, payer_id = rng.choice(work_ids), rng.choice(creator_ids)
                amount = rng.choice((100, 200, 500, 1_000, 2_000, rng.randint(50, 10_000)))
            elif kind == "ad_revenue":
                work_id, amount = rng.choice(work_ids), rng.randint(1, 400)
            else:
                grant_id, payer_id = rng.choice(grant_rows)
                amount = rng.randint(50, 5_000) if kind == "generation_fee" else 2_000
            if currency == "JPY":
                amount = max(1, amount // 100)
            if i >= EVENTS:
                sample.append(event_id)
                external = f"sample-{i}"
            else:
                external = f"bulk-{i}"
            occurred = now - timedelta(seconds=i)
            row = [event_id, kind, "import", external, work_id, grant_id, payer_id, amount]
            copy.write_row([*row, currency, "received", occurred, now])
    with connection.cursor() as cursor:
        # Steady state, as events that waited for settlement would be: statistics and
        # hint bits in place.
        cursor.execute(f"VACUUM ANALYZE {RevenueEvent._meta.db_table}")
    return sample


def _check_ledger(expected: int) -> tuple[bool, list[str]]:
    from django.db import connection

    from payments.models import LedgerEntry, LedgerTransaction, RevenueEvent
    from payments.services import ledger_totals, settlement_lines

    lines, ok = [], True
    totals = ledger_totals()
    balanced = all(total == 0 for total in totals.values())
    ok &= balanced
    lines.append(
        "ledger sums per currency: "
        + ", ".join(f"{c} {t}" for c, t in sorted(totals.items()))
        + ("  (all zero: ok)" if balanced else "  (NOT ZERO)")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status, count(*), count(transaction_id) FROM {RevenueEvent._meta.db_table}"  # noqa: S608
            " GROUP BY status"
        )
        statuses = {status: (n, linked) for status, n, linked in cursor.fetchall()}
    settled, linked = statuses.get("settled", (0, 0))
    ok &= settled == expected and linked == expected and len(statuses) == 1
    lines.append(f"events settled with a transaction: {linked:,} of {expected:,}")
    txns = LedgerTransaction.objects.filter(kind__startswith="revenue.").count()
    entries = LedgerEntry.objects.count()
    ok &= txns == expected
    lines.append(
        f"revenue transactions: {txns:,}; ledger entries: {entries:,} "
        f"({entries / max(txns, 1):.2f} per transaction)"
    )
    ids = list(
        RevenueEvent.objects.filter(external_id__startswith="bulk-")
        .order_by("?")
        .values_list("pk", flat=True)[:CHECKED]
    )
    mismatched = 0
    for event in RevenueEvent.objects.filter(pk__in=ids).select_related("transaction"):
        # What revenue_event_settle would post for it, computed the same way.
        expected = [line for line in settlement_lines(event) if line.money.amount]
        expected_rows = [
            (line.account.pk, line.money.amount, line.money.currency, line.work_id)
            for line in expected
        ]
        escrowed = any(line.account.kind == "escrow" for line in expected)
        meta = {"event": str(event.pk), "escrow": escrowed, "work": str(event.work_id or "")}
        memo = f"{event.get_kind_display()} {event.source}:{event.external_id}" + (
            " (held in escrow: disputed)" if escrowed else ""
        )
        posted = list(
            LedgerEntry.objects.filter(transaction=event.transaction)
            .order_by("id")
            .values_list("account_id", "amount", "currency", "work_id")
        )
        txn = event.transaction
        if (
            posted != expected_rows
            or txn.key != f"revenue:{event.pk}"
            or txn.kind != f"revenue.{event.kind}"
            or txn.meta != meta
            or txn.memo != memo
        ):
            mismatched += 1
    ok &= mismatched == 0
    lines.append(
        f"bulk-settled events re-derived with settlement_lines: {len(ids) - mismatched} of "
        f"{len(ids)} identical"
    )
    return ok, lines


def _settle_one(_index: int) -> int:
    from django.db import connections

    from payments.services.settlement_bulk import revenue_events_settle_bulk

    try:
        return revenue_events_settle_bulk(batch=BATCH)
    finally:
        connections.close_all()


def _settle_side_by_side(workers: int) -> list[int]:
    """``workers`` bulk settlers at once, each a forked process with its own connection,
    as that many Celery (prefork) workers would run them: SKIP LOCKED hands each its own
    batches."""
    from django.db import connections

    connections.close_all()  # no connection shared across the fork
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(_settle_one, range(workers))


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print(
            "settlement: needs DATABASE_URL pointing at a dedicated PostgreSQL database, e.g.\n"
            "  createdb -h 127.0.0.1 -U postgres cocreate_settle\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/cocreate_settle "
            ".venv/bin/python bench/settlement.py\n"
            "(the bulk path is PostgreSQL's COPY; skipped)"
        )
        return 0
    global EVENTS
    parser = argparse.ArgumentParser(description="Revenue settlement throughput.")
    parser.add_argument("--keep", action="store_true", help="leave the data in the database")
    parser.add_argument(
        "--events", type=int, default=EVENTS, help=f"events for the bulk run ({EVENTS:,})"
    )
    args = parser.parse_args()
    keep, EVENTS = args.keep, args.events
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from payments.models import RevenueEvent
    from payments.services import revenue_event_settle
    from payments.services.settlement_bulk import revenue_events_settle_bulk

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    _guard_and_flush()
    rng = random.Random(SEED)
    t = time.perf_counter()
    creators, grants, works, licences = _make_marketplace(rng)
    _fund_holds(creators)
    remixes = sum(1 for w in works if w.parent_id)
    _say(
        f"setup: {len(CHARACTERS)} characters, {len(grants):,} grants, {len(works):,} works "
        f"({remixes} remixes), {len(licences):,} work licences "
        f"in {time.perf_counter() - t:.1f} s"
    )
    t = time.perf_counter()
    sample = _load_events(rng, creators, grants, works)
    _say(
        f"setup: {EVENTS + SAMPLE:,} RECEIVED events loaded with COPY "
        f"({EVENTS:,} for bulk + {SAMPLE:,} per-event sample) in {time.perf_counter() - t:.1f} s"
    )
    version = connection.pg_version
    _say(
        f"PostgreSQL {version // 10_000}.{version % 10_000}; {os.cpu_count()} CPUs; batch {BATCH:,}"
    )

    # (a) the per-event path, as production calls it
    t = time.perf_counter()
    for event in RevenueEvent.objects.filter(pk__in=sample).order_by("pk").iterator():
        revenue_event_settle(event=event)
    naive_s = time.perf_counter() - t
    naive_rate = SAMPLE / naive_s if SAMPLE else 0.0
    _say(
        f"(a) per-event revenue_event_settle: {SAMPLE:,} events in {naive_s:.1f} s "
        f"= {naive_rate:,.0f} events/s"
    )

    # (b) bulk, over every other event: exactly EVENTS of them
    t = time.perf_counter()
    counts = _settle_side_by_side(WORKERS)
    bulk_s = time.perf_counter() - t
    settled = sum(counts)
    bulk_rate = settled / bulk_s
    _say(
        f"(b) revenue_events_settle_bulk, {WORKERS} settler(s) side by side "
        f"({' + '.join(f'{n:,}' for n in counts)}): {settled:,} events in {bulk_s:.1f} s "
        f"= {bulk_rate:,.0f} events/s"
    )
    if naive_rate:
        _say(f"speed-up: {bulk_rate / naive_rate:,.0f}x ((b) over (a))")
        _say(
            f"the per-event loop would take ~{1_000_000 / naive_rate / 60:,.0f} min "
            "for 1,000,000 events"
        )
    per_million = 1_000_000 / bulk_rate
    goal = "met" if per_million < GOAL_S else "NOT met"
    _say(
        f"goal: 1,000,000 events in < {GOAL_S:.0f} s: {goal} "
        f"(measured {bulk_s:.1f} s for {settled:,}; {per_million:.1f} s per million)"
    )
    again = revenue_events_settle_bulk(batch=BATCH)
    _say(f"second bulk run settled {again} (idempotent: {'ok' if again == 0 else 'NOT OK'})")

    ok, lines = _check_ledger(EVENTS + SAMPLE)
    for line in lines:
        _say("check: " + line)
    ok &= settled == EVENTS and again == 0
    if not keep:
        call_command("flush", interactive=False, verbosity=0)
    _say(
        f"total wall time {time.perf_counter() - started:.0f} s; "
        f"database {'kept (--keep)' if keep else 'flushed'}; checks {'ok' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
