"""The shortcuts bulk settlement takes give what the per-event path gives: lineages
loaded for many works at once, posting plans and rendered entries cached per (work,
kind, currency) and amount, and COPY's text format for free text."""

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.money import Money
from payments.models import LedgerEntry, RevenueEvent
from payments.selectors import work_split_lines, works_for_split
from payments.services import revenue_event_record, settlement_lines
from payments.services.settlement_bulk import revenue_events_settle_bulk
from tests.payments.test_bulk_settlement import _work, market  # noqa: F401

pytestmark = pytest.mark.postgresql


def test_works_for_split_gives_each_works_split_without_further_queries(
    market,  # noqa: F811
    django_assert_num_queries,
):
    # given the market's works (originals, a remix, a remix of a remix) and a chain
    # deeper still, each remixing the last
    works = list(market["works"])
    parent = works[2]
    for depth in range(3):
        parent = _work(market["payers"][depth], title=f"deeper {depth}", parent=parent)
        works.append(parent)
    alone = {work.pk: work_split_lines(work=work) for work in works}

    # when their lineages are loaded together
    loaded = works_for_split(work_ids=[work.pk for work in works])

    # then each split is the one computed alone, and computing it reads no more rows
    with django_assert_num_queries(0):
        together = {pk: work_split_lines(work=work) for pk, work in loaded.items()}
    assert together == alone


def _posted(event: RevenueEvent) -> list[tuple]:
    return list(
        LedgerEntry.objects.filter(transaction_id=event.transaction_id)
        .order_by("id")
        .values_list("account_id", "amount", "currency", "work_id")
    )


def _expected(event: RevenueEvent) -> list[tuple]:
    return [
        (line.account.pk, line.money.amount, line.money.currency, line.work_id)
        for line in settlement_lines(event)
        if line.money.amount
    ]


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["tip", "ad_revenue", "license_fee", "generation_fee"]),
        st.integers(min_value=0, max_value=5),  # which work or grant
        # few amounts, so that events repeat one (the cached entries), and some tiny
        st.sampled_from([1, 2, 3, 10, 99, 1_000, 12_345]) | st.integers(1, 10**9),
        st.sampled_from(["USD", "EUR", "JPY"]),
    ),
    min_size=1,
    max_size=30,
)


@pytest.mark.slow  # hypothesis: 25 sets of up to 30 events, each settled both ways
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=EVENTS)
def test_bulk_entries_equal_the_per_event_computation_for_any_events(
    market,  # noqa: F811
    specs,
):
    # given events of any kinds, amounts and currencies, amounts often repeated
    events = []
    for kind, which, amount, currency in specs:
        target = {}
        if kind in ("tip", "ad_revenue"):
            target["work"] = market["works"][which]
            payer = market["payers"][which % 3] if kind == "tip" else None
        else:
            target["grant"] = market["grants"][which % 3]
            payer = target["grant"].licensee
        event, _ = revenue_event_record(
            kind=kind,
            source="import",
            external_id=str(uuid.uuid4()),
            money=Money(amount, currency),
            payer=payer,
            **target,
        )
        events.append(event)

    # when they are settled in bulk, in small batches (plans and entries cached across)
    settled = revenue_events_settle_bulk(event_ids=[e.pk for e in events], batch=7)

    # then each carries exactly the entries settlement_lines gives it
    assert settled == len(events)
    for event in events:
        event.refresh_from_db()
        assert _posted(event) == _expected(event), event


def test_bulk_memo_keeps_tabs_newlines_and_backslashes_of_the_external_id(market):  # noqa: F811
    # given events whose external ids hold the characters COPY's text format escapes
    odd = ["tab\there", "new\nline", "carriage\rreturn", "back\\slash\\N", "\\t literal"]
    events = [
        revenue_event_record(
            kind="ad_revenue",
            source="import",
            external_id=external,
            money=Money(500, "USD"),
            work=market["works"][0],
        )[0]
        for external in odd
    ]

    # when they are settled in bulk
    revenue_events_settle_bulk(event_ids=[e.pk for e in events])

    # then each memo names its external id exactly, as the per-event path writes it
    for event, external in zip(events, odd, strict=True):
        event.refresh_from_db()
        assert event.transaction.memo == f"Ad revenue import:{external}"
        assert _posted(event) == _expected(event)
