"""Commenting on a work in a real browser (Debian's Chromium), on a phone (390x844) and a
laptop (1280x800): the comment form swaps the comments section in place (htmx), a spam
comment is shown to its author as held with the reason, the rightsholder hides a
comment from the page, nothing overflows sideways and axe-core finds no serious or
critical violation. Screenshots go to var/test-artifacts/browser/."""

import pytest
from django.db import connections
from django.test import Client
from playwright.sync_api import expect

from marketplace.models import Comment
from tests.browser import checks
from tests.browser.conftest import _chromium, _contexts, screenshot
from tests.browser.test_surfaces import _with_files
from tests.builders import licensed_work
from tests.factories import UserFactory
from tests.videos import clip

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.fixture
def comment_browser(live_server, transactional_db, request):
    with _chromium() as browser:
        yield from _contexts(browser, live_server, request)
        connections.close_all()


def _signed_in(context, user, live_server) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


@pytest.mark.parametrize("size", list(SIZES))
def test_commenting_on_a_work_in_place(comment_browser, live_server, size):
    # given: a published work with a real video, and a signed-in viewer
    work, rightsholder = licensed_work(title="Sunset duel")
    _with_files(work, clip(seconds=1.0, size=(180, 320), kind="mp4", audio=False))
    viewer = UserFactory(display_name="Ken Ito")
    context = comment_browser(viewport=SIZES[size])
    checks.serve_axe(context)
    _signed_in(context, viewer, live_server)
    page = context.new_page()

    # when: they write a comment and post it
    page.goto(work.get_absolute_url())
    section = page.locator("#comments")
    expect(section.get_by_role("heading", name="Comments (0)")).to_be_visible()
    section.get_by_label("Add a comment").fill("The light at 0:02 is lovely.")
    section.get_by_role("button", name="Post comment").click()

    # then: the section swaps in place with the comment and the count
    expect(page.locator("#comments").get_by_text("Comment posted.")).to_be_visible()
    expect(page.locator("#comments .comment-body")).to_have_text("The light at 0:02 is lovely.")
    expect(page.get_by_role("heading", name="Comments (1)")).to_be_visible()
    assert page.url.endswith(work.get_absolute_url())  # no page load: htmx swapped it
    problems = checks.overflow(page) + checks.axe_violations(page)
    assert not problems, problems
    screenshot(page, f"comments-posted-{size}")

    # when: they post spam
    page.get_by_label("Add a comment").fill("Free followers at spam.example.com")
    page.get_by_role("button", name="Post comment").click()

    # then: they see it held, with why; the count of visible comments stays at one
    expect(page.locator("#comments").get_by_text("Your comment is held for review")).to_be_visible()
    expect(page.locator(".comment-held")).to_contain_text("It looks like spam")
    expect(page.get_by_role("heading", name="Comments (1)")).to_be_visible()
    assert not checks.axe_violations(page)
    screenshot(page, f"comments-held-{size}")

    # when: the studio's owner opens the page and hides the first comment
    studio = comment_browser(viewport=SIZES[size])
    checks.serve_axe(studio)
    _signed_in(studio, rightsholder, live_server)
    moderator = studio.new_page()
    moderator.goto(work.get_absolute_url())
    moderator.get_by_role("button", name="Hide the comment by Ken Ito").click()

    # then: it is marked hidden for them, and gone for a reader
    expect(moderator.locator("#comments").get_by_text("Comment hidden.")).to_be_visible()
    expect(moderator.locator(".comment-hidden")).to_contain_text("The light at 0:02")
    problems = checks.overflow(moderator) + checks.axe_violations(moderator)
    assert not problems, problems
    screenshot(moderator, f"comments-moderated-{size}")
    assert set(Comment.objects.values_list("status", flat=True)) == {"hidden", "held"}
