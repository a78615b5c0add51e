"""The phone feed in a real browser (Debian's Chromium): at 390x844 a feed item and
every action on it lie inside the screen, nothing overflows sideways, a tap pauses the
video, liking updates the count and Share copies the link; at 1280x800 the feed is a
centred column that fits the window. The videos are rendered and signed in this
process (no worker). Screenshots go to var/test-artifacts/browser/."""

from datetime import timedelta

import pytest
from django.db import connections
from playwright.sync_api import expect

from marketplace.models import Like
from tests.browser.conftest import _chromium, _contexts, log_in, screenshot
from tests.factories import PASSWORD, CharacterFactory, UserFactory, grant_for
from tests.marketplace.helpers import copy_published_work, make_work

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
ACTIONS = ("Like", "Follow Feed Maker", "Share", "Tip", "Remix")


@pytest.fixture
def feed_browser(live_server, transactional_db, request):
    """Chromium without a worker: the works are made in this process."""
    with _chromium() as browser:
        yield from _contexts(browser, live_server, request)
        connections.close_all()


@pytest.fixture
def works(settings, provenance_keys, broker_down):
    """Two published works, rendered here: the broker is down for the test, so a worker
    an earlier test started cannot take their steps from the outbox."""
    settings.C2PA_CERT_CHAIN = str(provenance_keys.chain)
    settings.C2PA_PRIVATE_KEY = str(provenance_keys.signer_key)
    settings.C2PA_TRUST_ANCHORS = str(provenance_keys.root_cert)
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory(display_name="Feed Maker")
    grant_for(hoshi, creator, commercial_use=True)
    first = make_work(
        creator=creator, characters=[hoshi], prompt="Hoshi-chan waves", commercial=True
    )
    second = copy_published_work(
        work=first, title="Hoshi-chan waves again", published_at=first.published_at + timedelta(1)
    )
    return second, first


def _inside(box, viewport) -> bool:
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= viewport["width"] + 0.5
        and box["y"] + box["height"] <= viewport["height"] + 0.5
    )


def _action(item, name):
    """An action on the feed item: a button (like, follow) or a link (share, tip, remix)."""
    button = item.get_by_role("button", name=name, exact=True)
    return button if button.count() else item.get_by_role("link", name=name, exact=True)


def test_phone_feed_fits_the_screen_and_its_actions_work(feed_browser, works):
    # given: a viewer signed in on a phone-sized window
    newest, _ = works
    viewer = UserFactory(email="viewer@feed.test", display_name="Viewer")
    context = feed_browser(viewport=PHONE, has_touch=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = log_in(context, viewer.email, PASSWORD)

    # when: they open the feed
    page.goto("/feed/")
    item = page.locator(f'.feed-item[data-work="{newest.pk}"]')
    video = item.locator("video")
    expect(video).to_be_visible()
    page.wait_for_function(
        "v => !v.paused", arg=video.element_handle(), timeout=15_000
    )  # it plays, muted, on its own

    # then: the item, its video and every action lie inside the screen; nothing overflows
    assert _inside(item.bounding_box(), PHONE)
    assert _inside(video.bounding_box(), PHONE)
    stage = item.locator(".feed-stage").bounding_box()
    # right under the header and the feed's tabs ("For you", "Following"): no other band
    tabs = page.locator(".feed-tabs").bounding_box()
    assert tabs["y"] < 62 + 1 and tabs["height"] < 48
    assert stage["y"] < tabs["y"] + tabs["height"] + 1
    for name in ACTIONS:
        assert _inside(_action(item, name).bounding_box(), PHONE), name
    # the actions stand above the credits (the video's lowest quarter), the caption below
    credits_top = stage["y"] + stage["height"] * 0.75
    for name in ACTIONS:
        box = _action(item, name).bounding_box()
        assert box["y"] + box["height"] <= credits_top, name
    assert item.locator(".feed-meta").bounding_box()["y"] >= stage["y"] + stage["height"] - 0.5
    sizes = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, innerWidth,"
        " document.scrollingElement.scrollHeight, innerHeight]"
    )
    assert sizes[0] <= sizes[1], sizes
    assert sizes[2] <= sizes[3], sizes  # the page itself does not scroll: only the feed
    expect(item.get_by_role("button", name="Unmute")).to_be_visible()
    screenshot(page, "feed-phone")

    # when: they tap the video, it pauses; tapping again plays it
    video.tap()
    page.wait_for_function("v => v.paused", arg=video.element_handle())
    expect(item.locator(".feed-stage")).to_have_class("feed-stage paused")
    video.tap()
    page.wait_for_function("v => !v.paused", arg=video.element_handle())
    # and so does P on a keyboard
    page.keyboard.press("p")
    page.wait_for_function("v => v.paused", arg=video.element_handle())
    page.keyboard.press("p")
    page.wait_for_function("v => !v.paused", arg=video.element_handle())

    # when: they unmute
    item.get_by_role("button", name="Unmute").click()
    assert page.evaluate("v => v.muted", video.element_handle()) is False
    expect(item.get_by_role("button", name="Mute")).to_be_visible()

    # when: they like it, the count goes up in place and the like is stored
    likes = item.locator('[data-count="likes"]')
    expect(likes).to_have_text("0 likes")
    item.get_by_role("button", name="Like", exact=True).click()
    expect(likes).to_have_text("1 like")
    expect(item.get_by_role("button", name="Like", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert Like.objects.filter(work=newest, user=viewer).count() == 1
    assert page.url.endswith("/feed/")

    # when: they follow the creator, the follower count goes up
    item.get_by_role("button", name="Follow Feed Maker").click()
    expect(item.locator('[data-count="followers"]')).to_have_text("1 follower")

    # when: they share, the work's link is on the clipboard and the page says so
    _action(item, "Share").click()
    expect(item.get_by_role("status")).to_have_text("Link copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.endswith(f"/works/{newest.pk}/")
    screenshot(page, "feed-phone-liked")

    # the work page on the phone: the counts carried over, nothing wider than the screen
    page.goto(f"/works/{newest.pk}/")
    expect(page.locator('.work-actions [data-count="likes"]')).to_have_text("1 like")
    expect(page.locator('.work-actions [data-count="followers"]')).to_have_text("1 follower")
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    screenshot(page, "work-page-phone")


def test_laptop_feed_is_a_centred_column_that_fits(feed_browser, works):
    newest, _ = works
    page = feed_browser(viewport=LAPTOP).new_page()

    page.goto("/feed/")

    item = page.locator(f'.feed-item[data-work="{newest.pk}"]')
    stage = item.locator(".feed-stage").bounding_box()
    assert _inside(item.bounding_box(), LAPTOP)
    assert abs((stage["x"] + stage["width"] / 2) - LAPTOP["width"] / 2) < 2  # centred
    for name in ("Share", "Tip (log in)", "Remix"):
        assert _inside(_action(item, name).bounding_box(), LAPTOP), name
    # signed out: like and follow lead to the log-in
    like = item.locator('a[href^="/accounts/login/"]').first
    assert "next=/feed/" in like.get_attribute("href")
    sizes = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, innerWidth,"
        " document.scrollingElement.scrollHeight, innerHeight]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes
    screenshot(page, "feed-laptop")

    # the work page: the actions with their counts and the signed file to download
    page.goto(f"/works/{newest.pk}/")
    expect(page.get_by_role("link", name="Download the signed video")).to_be_visible()
    expect(page.locator('.work-actions [data-count="likes"]')).to_have_text("0 likes")
    screenshot(page, "work-page-laptop")

    # the character's page loads the works made with it, newest first
    page.get_by_role("link", name="Hoshi-chan").first.click()
    made_with = page.locator("#character-works")
    expect(made_with.get_by_role("heading", name="Made with Hoshi-chan")).to_be_visible()
    titles = made_with.locator("li p a")
    expect(titles).to_have_text(["Hoshi-chan waves again", "Hoshi-chan waves"])
    screenshot(page, "character-works-laptop")
