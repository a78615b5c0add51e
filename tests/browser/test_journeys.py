"""The six journeys of the product, each in a real browser (Debian's Chromium driven
by Playwright) against the live server and a real Celery worker. Each journey ends
with a screenshot in var/test-artifacts/browser/ (TEST_ARTIFACTS_DIR)."""

import io
import re

import pytest
from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from accounts.models import Organization, User
from licensing import services as licensing_services
from licensing.models import Character, Offer
from licensing.terms import preset_terms
from marketplace import services as marketplace_services
from marketplace.models import Work
from tests.browser.conftest import log_in, screenshot
from tests.factories import (
    PASSWORD,
    CharacterFactory,
    UserFactory,
    editor_of,
    proven_likeness,
    publish_offer,
)
from tests.marketplace.conftest import wait_for
from tests.mfa import totp_activate, totp_code
from tests.pdfs import plain_pdf

pytestmark = [pytest.mark.postgresql, pytest.mark.redis]

ADMIN_PASSWORD = "staff-passphrase-for-admin-42"


def _png(colour=(40, 90, 200)) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 320), colour).save(buffer, "PNG")
    return {"name": "hero.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def _pdf() -> dict:
    body = plain_pdf()
    return {"name": "trademark.pdf", "mimeType": "application/pdf", "buffer": body}


def _accept_dialogs(page, seen: list[str]):
    def accept(dialog):
        seen.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)


def test_journey_1_rightsholder_signs_up_is_verified_and_publishes(browser_context, live_server):
    email, password = "producer@studio-kaze.test", "kaze-producer-passphrase-7"
    staff = User.objects.create_user(
        email="ops@cocreate.test", password=ADMIN_PASSWORD, is_staff=True, is_superuser=True
    )
    staff.emailaddress_set.create(email=staff.email, verified=True, primary=True)

    # A rightsholder signs up and confirms the emailed link.
    studio = browser_context().new_page()
    dialogs: list[str] = []
    _accept_dialogs(studio, dialogs)
    studio.goto("/accounts/signup/")
    studio.get_by_label("Email").fill(email)
    studio.get_by_label(re.compile(r"^Password:?$")).fill(password)
    studio.get_by_label("Password (again)").fill(password)
    studio.get_by_role("button", name=re.compile("sign up", re.I)).click()
    expect(studio.get_by_role("heading", name=re.compile("verify", re.I))).to_be_visible()
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(
        1
    )
    studio.goto(link)
    studio.get_by_role("button", name=re.compile("confirm", re.I)).click()

    # They create an organization and ask staff to verify it, with a document.
    studio.goto("/organizations/new/")
    studio.get_by_label("Name").fill("Studio Kaze")
    studio.get_by_role("button", name=re.compile("create", re.I)).click()
    expect(studio.get_by_role("heading", name="Studio Kaze")).to_be_visible()
    studio.get_by_label("Title").fill("Trademark registration")
    studio.get_by_label("File").set_input_files(_pdf())
    studio.get_by_role("button", name="Upload document").click()
    studio.get_by_role("button", name="Ask staff to verify").click()
    expect(studio.locator(".badge")).to_have_text(re.compile("pending", re.I))

    # Staff verify it in the Django admin, signing in with their password and a code
    # from their authenticator app (the admin requires both).
    secret = totp_activate(staff)
    admin = browser_context().new_page()
    admin.goto("/admin/login/")
    admin.get_by_label("Email").fill(staff.email)
    admin.get_by_label(re.compile(r"^Password:?$")).fill(ADMIN_PASSWORD)
    admin.get_by_role("button", name=re.compile("sign in", re.I)).click()
    admin.get_by_label(re.compile("code", re.I)).fill(totp_code(secret))
    admin.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(
        admin.get_by_role("heading", name=re.compile("site administration", re.I))
    ).to_be_visible()
    admin.goto("/admin/accounts/organization/?verification_status__exact=pending")
    admin.get_by_role("row", name=re.compile("Studio Kaze")).get_by_role("checkbox").check()
    admin.locator("select[name=action]").select_option(
        label="Verify selected organizations (pending, with documents)"
    )
    admin.get_by_role("button", name="Go").click()
    expect(admin.get_by_text("Verified 1 organization(s).")).to_be_visible()
    assert Organization.objects.get(name="Studio Kaze").verification_status == "verified"

    # The rightsholder registers a character with an image.
    studio.goto("/dashboard/characters/new/")
    studio.get_by_label("Owner").select_option(label="Studio Kaze")
    studio.get_by_label(re.compile(r"^Name")).fill("Kaze Runner")
    studio.get_by_label("Franchise").fill("Wind Chronicles")
    studio.get_by_label("Image").set_input_files(_png())
    studio.get_by_role("button", name="Register").click()
    expect(studio.get_by_role("heading", name="Kaze Runner", exact=True)).to_be_visible()
    character = Character.objects.get(name="Kaze Runner")
    assert character.images.count() == 1

    # ...and publishes a "Commercial remix" offer from the preset, with a fee typed in
    # dollars and a share in percent, confirming on a page of its own.
    studio.get_by_label("Preset").select_option(label="Commercial remix")
    studio.get_by_role("button", name="New offer").click()
    studio.get_by_label("Fee to accept the licence").fill("20.00")
    studio.get_by_label("Your share of each video's earnings (%)").fill("12.5")
    expect(studio.locator("#shown_upfront_fee")).to_have_text("Creators read: $20.00")
    studio.get_by_role("button", name="Save and publish…").click()
    expect(studio.get_by_role("heading", name=re.compile("^Publish"))).to_be_visible()
    expect(
        studio.get_by_text("$20.00 upfront · $0.00 per video · 12.5% revenue share")
    ).to_be_visible()
    assert Offer.objects.get(character=character).status == "draft"
    screenshot(studio, "journey-1-confirm-publishing")
    studio.get_by_role("button", name="Publish version 1").click()
    expect(studio.get_by_text(re.compile("is published")).first).to_be_visible()
    offer = Offer.objects.get(character=character, status="published")
    assert offer.terms["rev_share_bps"] == 1250 and offer.terms["remix_policy"] == "same_terms"
    assert offer.terms["upfront_fee"] == 2000
    assert not dialogs  # no browser confirm() on the way

    # It is in the public catalog.
    studio.goto("/catalog/?q=Kaze")
    expect(studio.get_by_role("link", name=re.compile("Kaze Runner")).first).to_be_visible()
    screenshot(studio, "journey-1-rightsholder-published")


# --- set-up shared by the creator journeys -----------------------------------------------


def _licensable_character(name: str, *, colour=(230, 120, 40)) -> Character:
    """A verified studio's character with a reference image and a published
    "Commercial remix" offer."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    character = CharacterFactory(name=name, franchise="Comet Tales")
    image = _png(colour)
    licensing_services.character_image_add(
        character=character,
        by=editor_of(character),
        file=SimpleUploadedFile(image["name"], image["buffer"], content_type="image/png"),
    )
    publish_offer(
        character, **preset_terms("commercial_remix", credit_text="Comet Works").to_dict()
    )
    return character


def grant_accept_current(character, creator):
    """``creator`` accepts the character's current published offer at its price."""
    offer = character.offers.get(status="published")
    terms = offer.parsed_terms
    return licensing_services.grant_accept(
        offer=offer,
        by=creator,
        max_fee=terms.upfront_fee,
        max_rev_share_bps=terms.rev_share_bps,
        max_generation_fee=terms.per_generation_fee,
    )


def make_work(*, creator, characters, prompt: str, parent=None) -> Work:
    """A work made by the live worker (the live server's database is committed, so a
    request made here is picked up by the worker at once: the pipeline must not also
    run in this process)."""
    request = marketplace_services.generation_request_create(
        creator=creator,
        prompt=prompt,
        character_ids=[c.pk for c in characters],
        parent=parent,
        duration_s=4,
    )
    request = wait_for(request.pk)
    assert request.status in ("published", "awaiting_approval"), (request.status, request.reason)
    return Work.objects.get(request=request)


def _generate(page, *, prompt: str, character: str) -> None:
    page.get_by_label(re.compile(r"^Prompt")).fill(prompt)
    page.get_by_label(character).check()
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/studio/requests/"))


def _wait_published(page) -> None:
    expect(page.locator("#progress")).to_have_attribute("data-status", "published", timeout=120_000)
    expect(page.locator("#progress .badge")).to_have_text("Published")


def _video_plays(page, selector: str) -> None:
    """The video has decoded frames and its clock advances: it is playing."""
    page.wait_for_function(
        """(selector) => {
            const video = document.querySelector(selector);
            return video && video.readyState >= 2 && !video.paused && video.currentTime > 0.2;
        }""",
        arg=selector,
        timeout=20_000,
    )


def test_journey_2_creator_accepts_generates_and_watches_it_play(browser_context):
    _licensable_character("Hoshi Comet")
    creator = UserFactory(email="mika@creators.test", display_name="Mika")

    page = log_in(browser_context(), creator.email, PASSWORD)
    # Finds the character in the catalog and accepts its offer.
    page.goto("/catalog/")
    page.get_by_label("Search").fill("Hoshi")
    page.get_by_role("link", name=re.compile("Hoshi Comet")).first.click()
    expect(page.get_by_role("heading", name="Hoshi Comet", exact=True)).to_be_visible()
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".message.success")).to_be_visible()
    assert creator.grants.get().status == "active"

    # Generates a video and watches the progress reach "published".
    page.goto("/studio/")
    _generate(
        page, prompt="Hoshi Comet waves at the sunrise over the harbour", character="Hoshi Comet"
    )
    _wait_published(page)
    work = Work.objects.get(creator=creator)
    assert work.status == "published" and work.video.name.endswith(".mp4")

    # The creator is told once, in words, that it is published.
    page.goto("/notifications/")
    told = page.locator(".notification").filter(has_text="is published")
    expect(told).to_have_count(1)
    expect(told).not_to_contain_text(str(work.pk))

    # It plays in the feed.
    page.goto("/feed/")
    item = f'.feed-item[data-work="{work.pk}"] video'
    expect(page.locator(item)).to_be_visible()
    _video_plays(page, item)
    screenshot(page, "journey-2-creator-feed")


def test_journey_3_second_creator_remixes_and_sees_the_split_first(browser_context, pipeline):
    character = _licensable_character("Hoshi Comet")
    first = UserFactory(display_name="Mika")
    grant_accept_current(character, first)
    original = make_work(creator=first, characters=[character], prompt="Hoshi Comet at dawn")
    second = UserFactory(email="ren@creators.test", display_name="Ren")
    grant_accept_current(character, second)

    page = log_in(browser_context(), second.email, PASSWORD)
    page.goto("/feed/")
    page.locator(f'.feed-item[data-work="{original.pk}"]').get_by_role("link", name="Remix").click()
    expect(page.get_by_role("heading", name=re.compile("^Remix “"))).to_be_visible()
    # The split preview is on screen before anything is generated.
    split = page.locator("#check-result")
    expect(split).to_contain_text("Revenue split")
    expect(
        split.get_by_role("row", name=re.compile(character.owner_organization.name))
    ).to_contain_text("15%")
    expect(split.get_by_role("row", name=re.compile("Mika"))).to_contain_text("5%")
    expect(split.get_by_role("row", name=re.compile("Ren"))).to_contain_text("70%")
    assert not Work.objects.filter(creator=second).exists()

    _generate(page, prompt="Hoshi Comet races the tide at dusk", character="Hoshi Comet")
    _wait_published(page)
    remix = Work.objects.get(creator=second)
    assert remix.parent_id == original.pk
    page.get_by_role("link", name="Open the work page").click()
    expect(page.get_by_text(original.title[:30]).first).to_be_visible()
    screenshot(page, "journey-3-remix-published")


def test_journey_4_a_disallowed_character_is_refused_by_name(browser_context):
    character = _licensable_character("Hoshi Comet")
    CharacterFactory(name="Shadow Vandal", disallowed=True)
    creator = UserFactory()
    grant_accept_current(character, creator)

    page = log_in(browser_context(), creator.email, PASSWORD)
    page.goto("/studio/")
    prompt = "Hoshi Comet duels Shadow Vandal on the rooftops"
    page.get_by_label(re.compile(r"^Prompt")).fill(prompt)
    page.get_by_label("Hoshi Comet").check()
    # "Check terms" refuses before anything is queued, naming the character...
    page.get_by_role("button", name="Check terms").click()
    expect(page.locator("[data-decision=refused]")).to_be_visible()
    expect(page.locator("#check-result")).to_contain_text("Shadow Vandal")
    # ...and so does the pipeline when the creator generates anyway.
    page.get_by_role("button", name="Generate").click()
    expect(page.locator("#progress")).to_have_attribute("data-status", "refused", timeout=60_000)
    expect(page.locator("#progress [role=alert]")).to_contain_text("Shadow Vandal")
    # Said once, in words, with the way forward and no progress bar.
    progress = page.locator("#progress")
    expect(progress.get_by_text("Shadow Vandal")).to_have_count(1)
    expect(progress.get_by_role("link", name=re.compile("Change the prompt"))).to_be_visible()
    expect(progress.locator("progress")).to_have_count(0)
    assert "grant" not in progress.inner_text().lower()
    assert not Work.objects.filter(creator=creator).exists()
    screenshot(page, "journey-4-refused-by-name")


def test_journey_5_likeness_owner_approves_one_and_deletes_another(browser_context, pipeline):
    person = UserFactory(email="aiko@people.test", display_name="Aiko Tanaka")
    likeness = proven_likeness(person, "Aiko Tanaka")
    offer = publish_offer(
        likeness, **preset_terms("likeness_approved", credit_text="Aiko Tanaka").to_dict()
    )
    creator = UserFactory(display_name="Mika")
    grant = licensing_services.grant_accept(
        offer=offer, by=creator, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )
    licensing_services.grant_approve(grant=grant, by=person)
    keep = make_work(creator=creator, characters=[likeness], prompt="Aiko Tanaka waves hello")
    drop = make_work(creator=creator, characters=[likeness], prompt="Aiko Tanaka juggles oranges")
    assert {keep.status, drop.status} == {"pending_approval"}

    page = log_in(browser_context(), person.email, PASSWORD)
    dialogs: list[str] = []
    _accept_dialogs(page, dialogs)
    page.goto("/dashboard/approvals/")
    expect(page.get_by_role("heading", name="Approvals", exact=True)).to_be_visible()
    video = page.locator("li", has_text="waves hello").locator("video")
    assert video.bounding_box()["width"] >= 360  # large enough to judge
    screenshot(page, "journey-5-approvals-queue")
    page.locator("li", has_text="waves hello").get_by_role("button", name="Approve").click()
    expect(page.locator(".message.success")).to_be_visible()
    page.locator("li", has_text="juggles oranges").get_by_role(
        "button", name="Delete video"
    ).click()
    expect(page.locator(".message.success")).to_contain_text("deleted")
    expect(page.get_by_text("No videos are waiting for your review.")).to_be_visible()
    assert any("Delete" in message for message in dialogs)

    keep.refresh_from_db()
    drop.refresh_from_db()
    assert keep.status == "published"
    assert drop.status == "deleted" and not drop.video.storage.exists(drop.video.name)
    screenshot(page, "journey-5-likeness-reviewed")


def test_journey_6_rightsholder_sees_the_new_generation_on_the_dashboard(browser_context):
    character = _licensable_character("Hoshi Comet")
    creator = UserFactory(display_name="Mika")
    grant_accept_current(character, creator)
    make_work(creator=creator, characters=[character], prompt="Hoshi Comet at dawn")

    page = log_in(browser_context(), editor_of(character).email, PASSWORD)
    page.goto("/dashboard/")
    total = page.locator("#chart-generations .chart-total")
    expect(total).to_have_text(re.compile(r"\b1\b"))

    make_work(creator=creator, characters=[character], prompt="Hoshi Comet at dusk")
    page.reload()
    expect(total).to_have_text(re.compile(r"\b2\b"))
    chart = page.locator("#chart-generations svg")
    expect(chart).to_have_attribute("aria-label", re.compile(r"\b2\b"))
    screenshot(page, "journey-6-dashboard")


def test_viewer_moves_through_the_feed_by_keyboard_on_a_phone(browser_context):
    character = _licensable_character("Hoshi Comet")
    creator = UserFactory(display_name="Mika")
    grant_accept_current(character, creator)
    older = make_work(creator=creator, characters=[character], prompt="Hoshi Comet at dawn")
    newer = make_work(creator=creator, characters=[character], prompt="Hoshi Comet at dusk")

    page = browser_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    ).new_page()
    page.goto("/feed/")
    first, second = (f'.feed-item[data-work="{w.pk}"] video' for w in (newer, older))
    _video_plays(page, first)
    # Nothing is wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.keyboard.press("ArrowDown")
    _video_plays(page, second)
    assert page.evaluate(f"document.querySelector('{first}').paused")
    screenshot(page, "viewer-feed-phone")
