"""The top navigation in a real browser: staff reach Admin and Status from it at a
laptop's width and on a 390 px phone (behind the Menu button), and the page never
scrolls sideways."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.redis]

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _staff_page(browser_context, viewport, **options):
    staff = UserFactory(is_staff=True, is_superuser=True)
    page = log_in(browser_context(viewport=viewport, **options), staff.email, PASSWORD)
    page.goto("/feed/")
    return page


def test_staff_find_admin_and_status_in_the_top_navigation_on_a_laptop(browser_context):
    page = _staff_page(browser_context, LAPTOP)
    nav = page.get_by_role("navigation", name="Main")

    # visible without opening the Account menu
    expect(nav.get_by_role("link", name="Admin", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Status", exact=True)).to_be_visible()
    _no_sideways_scroll(page)
    # one line: the last item (the Account menu) sits beside the first
    first = nav.get_by_role("link", name="Feed").bounding_box()
    account = nav.locator("summary").bounding_box()
    assert abs(account["y"] - first["y"]) < 4, (first, account)
    screenshot(page, "nav-staff-laptop")

    nav.get_by_role("link", name="Status", exact=True).click()
    expect(page).to_have_url(re.compile(r"/ops/status/$"))
    expect(nav.get_by_role("link", name="Status", exact=True)).to_have_attribute(
        "aria-current", "page"
    )


def test_on_a_phone_the_navigation_folds_behind_menu_and_fits(browser_context):
    page = _staff_page(browser_context, PHONE, has_touch=True, is_mobile=True)
    nav = page.get_by_role("navigation", name="Main")
    admin = nav.get_by_role("link", name="Admin", exact=True)

    expect(admin).to_be_hidden()
    _no_sideways_scroll(page)

    page.get_by_role("button", name="Menu").click()

    expect(admin).to_be_visible()
    expect(nav.get_by_role("link", name="Status", exact=True)).to_be_visible()
    _no_sideways_scroll(page)
    box = nav.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshot(page, "nav-staff-phone-open")
