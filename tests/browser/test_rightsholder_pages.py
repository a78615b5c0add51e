"""The rightsholder's forms in a real browser: the offer editor's preview beside the
sections on a wide screen and under them on a phone, nothing wider than the screen, the
live preview putting an error beside its own field while the person types; and the
registration form showing "This likeness is me" only for one's own likeness."""

import pytest
from playwright.sync_api import expect

from licensing import services
from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD, CharacterFactory, MembershipFactory, editor_of

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


def test_the_likeness_attestation_shows_only_for_ones_own_likeness(browser_context):
    membership = MembershipFactory(role="manager", organization__name="Studio Kaze")
    page = log_in(browser_context(), membership.user.email, PASSWORD)
    attestation = page.get_by_label("This likeness is me, and I have the right to license it.")

    page.goto("/dashboard/characters/new/")
    page.get_by_label("Owner").select_option(label="Studio Kaze")
    expect(attestation).to_be_hidden()

    page.get_by_label("Owner").select_option(label="My own likeness")
    expect(attestation).to_be_visible()

    page.get_by_label("Owner").select_option(label="Studio Kaze")
    expect(attestation).to_be_hidden()
    expect(page.get_by_label("Refuse all generations of this character")).to_be_visible()
