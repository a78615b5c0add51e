"""Bulk settlement leaves exactly the ledger the per-event path leaves.

Two identical sets of revenue events (only their external ids differ) over the same
works and grants, two of the works under a claim (one monetized by the claimant, one
disputed, its revenue held in escrow): set B is settled in bulk, set A one event at a
time with ``revenue_event_settle``. Every transaction and every account must come out
the same."""

import random
import threading

import pytest
from django.db import connection, transaction
from django.db.models import Sum

from core.money import Money
from marketplace import services as marketplace_services
from marketplace.models import Work
from marketplace.services.claims import claim_file, dispute_open
from payments.enums import AccountKind, RevenueStatus
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction, RevenueEvent
from payments.services import (
    ledger_post,
    ledger_totals,
    revenue_event_record,
    revenue_event_settle,
    settlement_lines,
)
from payments.services.settlement_bulk import revenue_events_settle_bulk
from tests.factories import (
    CharacterFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    fund_account,
    grant_for,
)

PER_SET = 100


# The bulk path writes with PostgreSQL's COPY; on SQLite it is the per-event loop.
pytestmark = pytest.mark.postgresql


def _work(creator, *, title: str, grants=(), parent: Work | None = None) -> Work:
    """A published commercial work made as rows (nothing rendered), licensed under
    ``grants``; a remix also carries its parent's licences as inherited rows."""
    return WorkFactory(
        creator=creator, grants=grants, parent=parent, title=title, commercial=True, inherit=True
    )


@pytest.fixture
def market(db):
    """Three creators, a studio's two characters (absolute and relative shares, one
    capped) and a person's likeness; works up to a remix of a remix; fee grants; a
    monetize claim on one work and a disputed claim on another."""
    c1, c2, c3 = UserFactory(), UserFactory(), UserFactory()
    hoshi, kuro = CharacterFactory(), CharacterFactory()
    likeness_owner = UserFactory()
    aiko = CharacterFactory(kind="likeness", owner_user=likeness_owner, owner_organization=None)
    remix = {"commercial_use": True, "allowed_actions": ["generate", "remix", "publish"]}
    g_hoshi = grant_for(hoshi, c1, rev_share_bps=1_500, max_stack_bps=3_000, **remix)
    g_kuro = grant_for(kuro, c2, rev_share_bps=1_000, upstream_model="relative", **remix)
    g_aiko = grant_for(aiko, c1, rev_share_bps=700, **remix)
    original = _work(c1, title="original", grants=[g_hoshi, g_aiko])
    remixed = _work(c2, title="remix", grants=[g_kuro], parent=original)
    deep = _work(c3, title="remix of a remix", parent=remixed)
    own_again = _work(c1, title="c1 remixes their own remix", parent=remixed)
    unlicensed = _work(c3, title="no characters")
    monetized = _work(c2, title="monetized by its claimant", grants=[g_kuro])
    claim_file(
        work=monetized,
        character=kuro,
        by=editor_of(kuro),
        reason="terms_breach",
        evidence="Off-model.",
        policy="monetize",
    )
    disputed = claim_file(
        work=deep,
        character=hoshi,
        by=editor_of(hoshi),
        reason="terms_breach",
        evidence="Off-model.",
        policy="track",
    )
    dispute_open(claim=disputed, by=c3, reason="It is on-model.")
    # Per-generation fees are settled from what was held of each payer's wallet.
    for payer in (c1, c2, c3):
        for currency in ("USD", "EUR", "JPY"):
            fund_account(payer, AccountKind.HOLD, 10**15, currency)
    return {
        "works": [original, remixed, deep, own_again, unlicensed, monetized],
        "grants": [g_hoshi, g_kuro, g_aiko],
        "payers": [c1, c2, c3],
    }


def _record_twin_sets(market) -> tuple[list[RevenueEvent], list[RevenueEvent]]:
    """PER_SET events of mixed kinds, amounts (down to 1 minor unit, where most parts
    are zero) and currencies, recorded twice: as set A and as set B."""
    rng = random.Random(5)
    a_events, b_events = [], []
    for i in range(PER_SET):
        kind = rng.choice(["tip", "ad_revenue", "license_fee", "generation_fee"])
        amount = rng.choice([1, 2, 3, 7, 99, 100, 999, 2_000, 12_345, rng.randint(1, 50_000)])
        money = Money(amount, rng.choice(["USD", "USD", "EUR", "JPY"]))
        target = {}
        payer = rng.choice(market["payers"])
        if kind in ("tip", "ad_revenue"):
            target["work"] = rng.choice(market["works"])
            payer = payer if kind == "tip" else None
        else:
            target["grant"] = rng.choice(market["grants"])
            payer = target["grant"].licensee
        for prefix, events in (("a", a_events), ("b", b_events)):
            event, _ = revenue_event_record(
                kind=kind,
                source="import",
                external_id=f"{prefix}-{i}",
                money=money,
                payer=payer,
                **target,
            )
            events.append(event)
    return a_events, b_events


def _entries(event: RevenueEvent) -> list[tuple]:
    return list(
        LedgerEntry.objects.filter(transaction_id=event.transaction_id)
        .order_by("id")
        .values_list("account_id", "amount", "currency", "work_id")
    )


def _sums_by_account(events: list[RevenueEvent]) -> dict[int, int]:
    rows = (
        LedgerEntry.objects.filter(transaction__revenue_event__in=events)
        .values("account_id")
        .annotate(total=Sum("amount"))
    )
    return {row["account_id"]: row["total"] for row in rows}


def _check_deferred_constraints() -> None:
    # The test's transaction never commits: check the deferred foreign keys now.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_bulk_settlement_posts_exactly_what_per_event_settlement_posts(market):
    # given two identical sets of events, and no ledger account yet but the payers'
    # holds (their fees were held from their wallets) and the clearing that funded them
    a_events, b_events = _record_twin_sets(market)
    assert set(LedgerAccount.objects.values_list("kind", flat=True)) == {
        AccountKind.HOLD,
        AccountKind.STRIPE_CLEARING,
    }

    # when set B is settled in bulk (small batches, so the caches span batches and the
    # accounts are created by the bulk path), then set A one event at a time
    settled = revenue_events_settle_bulk(event_ids=[e.pk for e in b_events], batch=17)
    _check_deferred_constraints()
    for event in a_events:
        revenue_event_settle(event=event)

    # then every pair of transactions has the same entries, in the same order, on the
    # same accounts, and says the same
    assert settled == PER_SET
    for a, b in zip(a_events, b_events, strict=True):
        a.refresh_from_db()
        b.refresh_from_db()
        assert b.status == RevenueStatus.SETTLED
        assert _entries(b) == _entries(a), (a, b)
        txn = b.transaction
        assert txn.key == f"revenue:{b.pk}"
        assert txn.kind == a.transaction.kind == f"revenue.{b.kind}"
        assert txn.meta == {**a.transaction.meta, "event": str(b.pk)}
        assert txn.memo == a.transaction.memo.replace(a.external_id, b.external_id)
    # and every account holds the same from either set, and none was made for nothing
    assert _sums_by_account(a_events) == _sums_by_account(b_events)
    assert not LedgerAccount.objects.filter(entries__isnull=True).exists()
    assert set(ledger_totals().values()) == {0}
    # and the held revenue was held: some went to escrow, the claimant took the rest
    assert LedgerEntry.objects.filter(
        transaction__revenue_event__in=b_events, account__kind=AccountKind.ESCROW
    ).exists()


def test_bulk_settlement_is_idempotent(market):
    # given settled events
    _, b_events = _record_twin_sets(market)
    first = revenue_events_settle_bulk(event_ids=[e.pk for e in b_events])
    entries = LedgerEntry.objects.filter(transaction__revenue_event__in=b_events).count()

    # when bulk settlement runs again, over those events and over everything
    again = revenue_events_settle_bulk(event_ids=[e.pk for e in b_events])
    rest = revenue_events_settle_bulk(batch=30)

    # then only the other set (never named) was settled, and nothing posted twice
    assert (first, again, rest) == (PER_SET, 0, PER_SET)
    assert LedgerEntry.objects.filter(transaction__revenue_event__in=b_events).count() == entries
    assert not RevenueEvent.objects.exclude(status=RevenueStatus.SETTLED).exists()
    assert not RevenueEvent.objects.filter(transaction__isnull=True).exists()
    assert LedgerTransaction.objects.filter(kind__startswith="revenue.").count() == 2 * PER_SET
    _check_deferred_constraints()
    assert set(ledger_totals().values()) == {0}


def test_event_whose_transaction_was_already_posted_is_linked_not_posted_again(market):
    # given an event whose revenue transaction was posted, but the event not updated
    event, _ = revenue_event_record(
        kind="tip",
        source="stripe",
        external_id="pi_1",
        money=Money(1_000, "USD"),
        work=market["works"][1],
    )
    posted, _ = ledger_post(
        key=f"revenue:{event.pk}", kind="revenue.tip", lines=settlement_lines(event)
    )
    entries = LedgerEntry.objects.count()

    # when
    settled = revenue_events_settle_bulk()

    # then it is settled against that transaction, and nothing more was posted
    event.refresh_from_db()
    assert settled == 1
    assert (event.status, event.transaction_id) == (RevenueStatus.SETTLED, posted.pk)
    assert LedgerEntry.objects.count() == entries
    _check_deferred_constraints()


@pytest.mark.django_db(transaction=True)
def test_events_locked_by_a_concurrent_settle_are_skipped_not_waited_for(market):
    # given three events, one of them locked by another transaction (a per-event settle
    # in progress)
    events = [
        revenue_event_record(
            kind="tip",
            source="stripe",
            external_id=f"pi_{i}",
            money=Money(500, "EUR"),
            work=market["works"][0],
        )[0]
        for i in range(3)
    ]
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        try:
            with transaction.atomic():
                RevenueEvent.objects.select_for_update().get(pk=events[0].pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(timeout=10)

    # when bulk settlement runs meanwhile, and again once the lock is gone
    try:
        during = revenue_events_settle_bulk()
    finally:
        release.set()
        holder.join()
    after = revenue_events_settle_bulk()

    # then the locked event was left to its holder, then settled by the second run
    assert (during, after) == (2, 1)
    assert RevenueEvent.objects.filter(status=RevenueStatus.SETTLED).count() == 3
    assert set(ledger_totals().values()) == {0}


@pytest.mark.postgresql
@pytest.mark.django_db
def test_bulk_settlement_holds_a_disputed_works_revenue_in_escrow_like_the_per_event_path():
    from payments import services as payments_services

    hoshi = CharacterFactory()
    creator = UserFactory()
    grant = grant_for(hoshi, creator, rev_share_bps=1_000, commercial_use=True)
    work = WorkFactory(creator=creator, grants=[grant])
    claim = marketplace_services.claim_file(
        work=work,
        character=hoshi,
        by=editor_of(hoshi),
        reason="other",
        evidence="x",
        policy="track",
    )
    marketplace_services.dispute_open(claim=claim, by=creator, reason="no")
    payments_services.revenue_event_record(
        kind="tip", source="stripe", external_id="pi_held", money=Money(1_000, "USD"), work=work
    )

    revenue_events_settle_bulk()

    escrow = payments_services.platform_account(kind=AccountKind.ESCROW, currency="USD")
    assert payments_services.balance(account=escrow).amount == 900
