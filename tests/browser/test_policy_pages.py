"""Pages that bring third-party script, in a real browser under the CSP: the browser
fixture fails the test on any Content-Security-Policy message in the console."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.postgresql, pytest.mark.redis]


def test_swagger_ui_renders_the_api_under_the_policy(browser_context):
    page = browser_context().new_page()

    page.goto("/api/docs/")

    expect(page.get_by_role("heading", name=re.compile("Cocreate API"))).to_be_visible()
    expect(page.get_by_text("/api/v1/auth/token/").first).to_be_visible()
    screenshot(page, "api-docs")
