"""A person proves their likeness in a real browser: Chromium's fake camera and
microphone stand in for theirs, the page records a consent video with MediaRecorder and
sends it, and staff, signed in with their authenticator code, approve it on the staff
page, where the video plays beside the reference image."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from licensing import services as licensing_services
from licensing.models import Character, LikenessConsent
from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD, UserFactory
from tests.mfa import totp_activate, totp_code

pytestmark = [pytest.mark.postgresql, pytest.mark.redis]


def _reference_image() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96), (230, 120, 40)).save(buffer, "PNG")
    return SimpleUploadedFile("aiko.png", buffer.getvalue(), content_type="image/png")


def test_a_person_records_a_consent_video_and_staff_approve_it(camera_browser_context):
    # given: Aiko's likeness, a draft with a reference image, and a member of staff
    aiko = UserFactory(email="aiko@consent.test", display_name="Aiko Tanaka")
    likeness = licensing_services.character_create(
        by=aiko, kind="likeness", name="Aiko Tanaka", likeness_attested=True
    )
    licensing_services.character_image_add(character=likeness, by=aiko, file=_reference_image())
    staff = UserFactory(email="reviewer@consent.test", is_staff=True)
    secret = totp_activate(staff)

    # when: Aiko asks for a phrase on her likeness's page and records herself reading it
    page = log_in(camera_browser_context(), aiko.email, PASSWORD)
    page.goto(f"/dashboard/characters/{likeness.pk}/")
    expect(page.get_by_role("heading", name="Prove it's you")).to_be_visible()
    page.get_by_role("button", name="Show me a phrase to read").click()
    phrase = page.locator("[data-phrase]").inner_text().strip()
    assert len(phrase.split()) == 6
    expect(page.locator("[data-countdown]")).to_contain_text("left")
    page.get_by_role("button", name="Record", exact=True).click()
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_enabled(timeout=10_000)  # after the shortest video allowed
    page.wait_for_timeout(1000)
    stop.click()
    expect(page.get_by_role("button", name="Send video")).to_be_visible()
    page.get_by_role("button", name="Send video").click()

    # then: the page says it waits for review, and the stored video is the recording
    page.wait_for_url(re.compile(r"sent=1"))
    expect(page.locator("#consent .badge")).to_have_text("Waiting for review")
    consent = LikenessConsent.objects.get(character=likeness)
    assert consent.status == "pending" and consent.challenge.phrase == phrase
    assert consent.content_type == "video/webm" and consent.duration_s >= 2
    assert Character.objects.get(pk=likeness.pk).status == "draft"
    screenshot(page, "consent-1-recorded")

    # when: staff sign in with their code and open the review queue
    reviewer = camera_browser_context().new_page()
    reviewer.goto("/admin/login/")
    reviewer.get_by_label("Email").fill(staff.email)
    reviewer.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    reviewer.get_by_role("button", name=re.compile("sign in", re.I)).click()
    reviewer.get_by_label(re.compile("code", re.I)).fill(totp_code(secret))
    reviewer.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(
        reviewer.get_by_role("heading", name=re.compile("site administration", re.I))
    ).to_be_visible()
    reviewer.goto("/staff/likeness-reviews/")
    card = reviewer.locator(f"[data-consent='{consent.pk}']")
    expect(card.get_by_text(phrase)).to_be_visible()
    # the video loads on its signed URL and the browser can play it
    reviewer.wait_for_function(
        "() => document.querySelector('[data-consent] video').readyState >= 1"
    )
    expect(card.get_by_role("img", name=re.compile("reference"))).to_be_visible()
    screenshot(reviewer, "consent-2-staff-queue")
    card.get_by_role("button", name="Approve").click()

    # then: approved, and the likeness is active
    expect(reviewer.get_by_text("approved: it is active")).to_be_visible()
    consent.refresh_from_db()
    assert consent.status == "approved" and consent.reviewed_by == staff
    assert Character.objects.get(pk=likeness.pk).status == "active"
    page.goto(f"/dashboard/characters/{likeness.pk}/")
    expect(page.locator("#consent").get_by_text("Verified")).to_be_visible()
