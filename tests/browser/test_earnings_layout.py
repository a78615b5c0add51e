"""The earnings page as a person sees it, on a laptop and on a phone: nothing wider than
the screen (the statement scrolls inside its own box), the chart a readable size with
its caption below it, amounts as money and the statement in words. No worker: nothing
here renders. Screenshots go to var/test-artifacts/browser/."""

import pytest
from django.db import connections

from core.money import Money
from payments import services
from tests.browser.conftest import _chromium, log_in, screenshot
from tests.builders import paid_out
from tests.factories import PASSWORD, CharacterFactory, UserFactory, WorkFactory, grant_for

pytestmark = [pytest.mark.postgresql]


@pytest.fixture
def chromium(live_server, transactional_db):
    with _chromium() as browser:
        yield browser
        connections.close_all()


@pytest.fixture
def earner():
    """Mika: a tipped video (a payout made) and a page and a half of statement lines, in
    dollars and yen."""
    creator = UserFactory(display_name="Mika Ito", email="mika@cocreate.test")
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(CharacterFactory(), creator, rev_share_bps=1_000, commercial_use=True)],
        title="Sunset duel with a rather long title that wraps on a phone",
    )
    ken = UserFactory(display_name="Ken")
    for n in range(30):
        event, _ = services.revenue_event_record(
            kind="tip",
            source="stripe",
            external_id=f"pi_layout_{n}",
            money=Money(270, "USD") if n % 5 else Money(500, "JPY"),
            work=work,
            payer=ken,
        )
        services.revenue_event_settle(event=event)
    paid_out({"acct_layout": {"user": creator}})
    return creator


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize(
    ("name", "viewport"),
    [("laptop", {"width": 1280, "height": 800}), ("phone", {"width": 390, "height": 844})],
)
def test_earnings_page_fits_the_screen_with_a_readable_chart(
    browser_context, earner, name, viewport
):
    page = log_in(browser_context(viewport=viewport), earner.email, PASSWORD)

    page.goto("/earnings/")

    assert _overflow(page) <= 0
    chart = page.locator("#chart-earnings svg").bounding_box()
    caption = page.locator("#chart-earnings figcaption").bounding_box()
    assert chart and caption
    assert chart["height"] <= 220  # not a card-filling slab
    assert caption["y"] >= chart["y"] + chart["height"]  # the caption sits below the chart
    widest = page.evaluate(
        "Math.max(...[...document.querySelectorAll('#chart-earnings rect.seg-value')]"
        ".map(r => r.getBoundingClientRect().width))"
    )
    assert 0 < widest <= 45
    statement = page.locator("table.statement")
    assert statement.locator("tbody tr").count() == 25
    text = page.locator("main").inner_text()
    assert "Now available: tip from Ken on “Sunset duel" in text and "Payout to your bank" in text
    assert "stripe:" not in text and " USD" not in text.replace("in USD", "")
    box = page.locator(".table-wrap:has(table.statement)").bounding_box()
    assert box and box["x"] + box["width"] <= viewport["width"]
    # each line's words get the row's width: on a phone the line stacks above its amount
    what = statement.locator("td.what").first.bounding_box()
    assert what and what["width"] >= box["width"] * (0.9 if name == "phone" else 0.3)
    screenshot(page, f"earnings-{name}")
