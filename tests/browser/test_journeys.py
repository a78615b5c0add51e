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
from licensing.models import Character, Offer
from tests.browser.conftest import log_in, screenshot
from tests.factories import PASSWORD

pytestmark = [pytest.mark.postgresql, pytest.mark.redis]

ADMIN_PASSWORD = "staff-passphrase-for-admin-42"


def _png(colour=(40, 90, 200)) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 320), colour).save(buffer, "PNG")
    return {"name": "hero.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def _pdf() -> dict:
    body = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
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

    # Staff verify it in the Django admin.
    admin = browser_context().new_page()
    admin.goto("/admin/login/")
    admin.get_by_label("Email").fill(staff.email)
    admin.get_by_label(re.compile(r"^Password:?$")).fill(ADMIN_PASSWORD)
    admin.get_by_role("button", name=re.compile("log in", re.I)).click()
    admin.goto("/admin/accounts/organization/?verification_status__exact=pending")
    admin.get_by_role("row", name=re.compile("Studio Kaze")).get_by_role("checkbox").check()
    admin.locator("select[name=action]").select_option(label="Verify selected organizations")
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
    expect(studio.get_by_role("heading", name="Kaze Runner")).to_be_visible()
    character = Character.objects.get(name="Kaze Runner")
    assert character.images.count() == 1

    # ...and publishes a "Commercial remix" offer from the preset.
    studio.get_by_label("Preset").select_option(label="Commercial remix")
    studio.get_by_role("button", name="New offer").click()
    studio.get_by_role("button", name="Save and publish").click()
    expect(studio.get_by_text(re.compile("published", re.I)).first).to_be_visible()
    offer = Offer.objects.get(character=character, status="published")
    assert offer.terms["rev_share_bps"] == 1500 and offer.terms["remix_policy"] == "same_terms"
    assert any("can never change" in message for message in dialogs)

    # It is in the public catalog.
    studio.goto("/catalog/?q=Kaze")
    expect(studio.get_by_role("link", name=re.compile("Kaze Runner")).first).to_be_visible()
    screenshot(studio, "journey-1-rightsholder-published")
