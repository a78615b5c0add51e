"""A storyline's page and its watch view in a real browser, on a phone (390 by 844) and a
laptop (1280 by 800): nothing overflows, axe finds no serious violation, the takes are
ranked with their makers and the score's parts, and the watch view plays the opening
first, in the feed's player, inside the screen."""

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from marketplace import services
from tests.browser import checks
from tests.browser.conftest import _chromium, _contexts, screenshot
from tests.browser.test_surfaces import _with_files
from tests.builders import storyline_opened
from tests.factories import (
    CharacterFactory,
    GrantFactory,
    OfferFactory,
    UserFactory,
    WorkFactory,
    editor_of,
)
from tests.videos import clip

pytestmark = [pytest.mark.slow, pytest.mark.postgresql, pytest.mark.redis]

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.fixture
def storyline_browser(live_server, transactional_db, request):
    with _chromium() as browser:
        yield from _contexts(browser, live_server, request)
        connections.close_all()


@pytest.fixture
def storyline():
    hoshi = CharacterFactory(name="Hoshi-chan")
    offer = OfferFactory(character=hoshi, allowed_actions=["generate", "remix", "publish"])
    owner = editor_of(hoshi)
    video = clip(seconds=1.0, size=(180, 320), kind="mp4", audio=False)
    now = timezone.now()
    opening = _with_files(
        WorkFactory(
            creator=owner,
            grants=[GrantFactory(offer=offer, licensee=owner)],
            title="The stars fall into the harbour",
            published_at=now - timedelta(hours=30),
        ),
        video,
    )
    storyline = storyline_opened(hoshi, offer=offer, opening=opening, max_take_s=8)
    for i, name in enumerate(("Mika Ito", "Jun Park", "Priya Nair")):
        maker = UserFactory(display_name=name)
        take = _with_files(
            WorkFactory(
                creator=maker,
                grants=[GrantFactory(offer=offer, licensee=maker)],
                title=f"{name.split()[0]}'s take: the stars go home",
                parent=opening,
                storyline=storyline,
                published_at=now - timedelta(hours=i + 1),
            ),
            video,
        )
        for _ in range(i * 2):
            services.like_work(work=take, user=UserFactory())
    return storyline


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_the_storyline_page_and_its_watch_view_fit_and_read_well(
    storyline_browser, storyline, size
):
    # given
    viewport = SIZES[size]
    context = storyline_browser(viewport=viewport)
    checks.serve_axe(context)
    page = context.new_page()

    # when: the storyline's page
    page.goto(f"/storylines/{storyline.pk}/")

    # then: the beat, the rules and the takes with their makers and scores
    expect(page.get_by_role("heading", name=storyline.title)).to_be_visible()
    expect(page.locator("#storyline-rules")).to_contain_text("at most 8 seconds")
    takes = page.locator(".take-card")
    expect(takes).to_have_count(3)
    expect(takes.first).to_contain_text("by Priya Nair")  # the most liked
    expect(takes.first.locator(".take-score")).to_contain_text("4 likes · 0 remixes")
    expect(page.get_by_role("link", name="Make a take")).to_be_visible()
    problems = checks.overflow(page) + checks.axe_violations(page)
    problems += checks.uneven_grids(page) + checks.jargon(checks.visible_text(page))
    screenshot(page, f"storyline-{size}")

    # when: the watch view
    page.goto(f"/storylines/{storyline.pk}/watch/")

    # then: the opening first, then the takes, in the feed's player, inside the screen
    items = page.locator(".feed-item")
    expect(items).to_have_count(4)
    first = items.first
    assert first.get_attribute("data-work") == str(storyline.opening_id)
    expect(first).to_contain_text("The opening, by")
    expect(items.nth(1)).to_contain_text("Priya Nair")
    box = first.locator("video").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert box["y"] + box["height"] <= viewport["height"] + 0.5
    sizes = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, innerWidth,"
        " document.scrollingElement.scrollHeight, innerHeight]"
    )
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes
    problems += checks.axe_violations(page)
    screenshot(page, f"storyline-watch-{size}")
    assert not problems, "\n".join(problems)
