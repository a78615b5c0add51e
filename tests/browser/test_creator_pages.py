"""The creator's own pages in Chromium, at a laptop's and a phone's size: the studio of a
remix (cards ticked in advance, the cost, the split bar), a refused request's way
forward, and My works; nothing wider than the screen, no term names on show."""

import re

import pytest
from playwright.sync_api import expect

from marketplace import services as marketplace_services
from tests.browser.conftest import log_in, screenshot
from tests.factories import (
    PASSWORD,
    CharacterFactory,
    UserFactory,
    WorkFactory,
    fund_wallet,
    grant_for,
    publish_offer,
)
from tests.marketplace.helpers import run_pipeline, store_files

pytestmark = [pytest.mark.postgresql, pytest.mark.redis, pytest.mark.slow]

SIZES = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
REMIX = {"allowed_actions": ["generate", "remix", "publish"], "rev_share_bps": 1_500}
INTERNAL = re.compile(r"\b(grant|territor(y|ies)|\w+_\w+)\b")


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("size", SIZES)
def test_a_creator_remixes_is_refused_with_a_way_forward_and_sees_their_works(
    browser_context, size
):
    # given: Mika's published video of Hoshi-chan, which Ren may remix
    viewport = SIZES[size]
    hoshi, kuro = CharacterFactory(name="Hoshi-chan"), CharacterFactory(name="Kuro Neko")
    mika, ren = UserFactory(display_name="Mika"), UserFactory(display_name="Ren")
    parent = store_files(
        WorkFactory(creator=mika, grants=[grant_for(hoshi, mika, **REMIX)], title="At dawn")
    )
    grant_for(hoshi, ren, per_generation_fee=50, **REMIX)
    fund_wallet(ren, 500)
    publish_offer(kuro)
    refused = run_pipeline(
        request_id=marketplace_services.generation_request_create(
            creator=ren,
            prompt="Hoshi-chan chases Kuro Neko",
            character_ids=[hoshi.pk],
            enqueue=False,  # checked here, not by the live worker
        ).pk
    )
    page = log_in(browser_context(viewport=viewport), ren.email, PASSWORD)

    # when: Ren opens the studio to remix Mika's video
    page.goto(f"/studio/?parent={parent.pk}")

    # then: Hoshi-chan's card is ticked, the cost and the split bar are on show
    expect(page.get_by_label(re.compile("Hoshi-chan"))).to_be_checked()
    expect(page.locator("#studio-cost")).to_contain_text("$0.50")
    expect(page.locator("svg.split-bar rect.seg-upstream_creator")).to_have_count(1)
    _fits(page, viewport["width"])
    screenshot(page, f"creator-studio-remix-{size}")

    # when: Ren opens the request that was refused
    page.goto(refused.get_absolute_url())

    # then: what happened, once, and the way forward; no bar, no term name
    alert = page.locator("#progress [role=alert]")
    expect(alert).to_contain_text("You don't have a licence for Kuro Neko yet.")
    expect(page.locator("progress")).to_have_count(0)
    assert not INTERNAL.search(alert.inner_text())
    _fits(page, viewport["width"])
    screenshot(page, f"creator-refused-{size}")
    page.get_by_role("link", name="Get a licence for Kuro Neko").click()
    expect(page.get_by_role("heading", name="Kuro Neko", exact=True)).to_be_visible()

    # when: Ren opens My works
    page.goto("/works/mine/")

    # then
    expect(page.locator(".work-card")).to_have_count(1)
    expect(page.locator(".work-card .badge").first).to_have_text("Not made")
    _fits(page, viewport["width"])
    screenshot(page, f"creator-my-works-{size}")
