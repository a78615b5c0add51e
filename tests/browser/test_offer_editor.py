"""The offer editor in a real browser: its preview beside the sections on a wide screen
and under them on a phone, nothing wider than the screen, and the live preview putting
an error beside its own field while the person types."""

import pytest
from playwright.sync_api import expect

from licensing import services
from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD, CharacterFactory, editor_of

pytestmark = [pytest.mark.postgresql, pytest.mark.redis]


def _box(page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    assert box, f"{selector} is not laid out"
    return box


@pytest.mark.parametrize(
    ("size", "viewport"),
    [("wide", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})],
)
def test_the_editor_lays_out_and_shows_errors_beside_their_field(browser_context, size, viewport):
    # given: a studio's draft offer
    character = CharacterFactory(name="Hoshi")
    editor = editor_of(character)
    draft = services.offer_create_draft(
        character=character, by=editor, terms={"credit_text": "Studio"}
    )
    page = log_in(browser_context(viewport=viewport), editor.email, PASSWORD)

    # when
    page.goto(f"/dashboard/offers/{draft.pk}/")

    # then: beside the sections on a wide screen, under them on a phone; never wider
    sections, preview = _box(page, ".editor-sections"), _box(page, ".editor-preview")
    if size == "wide":
        assert preview["x"] >= sections["x"] + sections["width"] - 1
        assert abs(preview["y"] - sections["y"]) < 2
    else:
        assert preview["y"] >= sections["y"] + sections["height"] - 1
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")

    # when: a share is mistyped, then a yen fee typed
    page.get_by_label("Your share of each video's earnings (%)").fill("lots")

    # then: the error appears beside that field, not in the preview
    expect(page.locator("#errors_rev_share_percent")).to_have_text(
        "Enter a percentage as a number, e.g. 15 or 12.5."
    )
    expect(page.locator("#preview .problems")).to_have_count(0)
    expect(page.locator("#preview")).to_contain_text("1 field needs a fix")

    page.get_by_label("Your share of each video's earnings (%)").fill("10")
    page.get_by_label("Currency").fill("JPY")
    page.get_by_label("Fee to accept the licence").fill("500")
    expect(page.locator("#errors_rev_share_percent")).to_be_empty()
    expect(page.locator("#shown_upfront_fee")).to_have_text("Creators read: ¥500")
    expect(page.locator("#preview")).to_contain_text("A one-time fee of ¥500.")
    screenshot(page, f"offer-editor-{size}")
