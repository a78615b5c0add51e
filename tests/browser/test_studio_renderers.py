"""The studio's renderer choice in Chromium: choosing a renderer swaps in the durations
it makes (htmx, no inline script), and what it offers is what gets requested."""

import pytest
from playwright.sync_api import expect

from marketplace.models import GenerationRequest
from tests.browser.conftest import log_in
from tests.factories import PASSWORD, CharacterFactory, UserFactory, grant_for
from tests.marketplace.conftest import wait_for

pytestmark = [pytest.mark.postgresql, pytest.mark.redis, pytest.mark.slow]


def test_choosing_a_renderer_offers_only_the_durations_it_makes(
    browser_context, settings, fake_openai
):
    # given two renderers that can run here (the hosted one is the session's fake, which
    # the worker uses too) and a licence
    settings.OPENAI_API_KEY = fake_openai.api_key
    settings.OPENAI_BASE_URL = fake_openai.base_url
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    page = log_in(browser_context(), creator.email, PASSWORD)
    page.goto("/studio/")
    duration = page.get_by_label("Duration (seconds)")
    options = duration.locator("option")
    expect(options).to_have_count(12)  # the local renderer: 4 to 15 seconds

    # when the creator chooses OpenAI Sora
    page.get_by_label("Renderer").select_option(label="OpenAI Sora")

    # then only its clip lengths are offered, and the help says so
    expect(options).to_have_text(["4", "8", "12"])
    expect(page.get_by_text("The OpenAI Sora renderer makes videos of 4, 8 or 12 seconds."))
    expect(page.get_by_label("Renderer")).to_have_value("openai")

    # and a request made with them renders there, watermarked into our frame
    page.get_by_label("Duration (seconds)").select_option("8")
    page.get_by_label("Prompt").fill("Hoshi-chan waves")
    page.get_by_label("Hoshi-chan").check()
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url("**/studio/requests/**")
    request = wait_for(GenerationRequest.objects.get(creator=creator).pk)
    assert (request.backend, request.duration_s) == ("openai", 8)
    assert request.status == "published", request.reason
    assert (request.work.width, request.work.height) == (480, 854)
    assert request.render_output["metadata"]["watermarked"] is True
