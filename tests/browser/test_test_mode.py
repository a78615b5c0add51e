"""A newcomer's money journey in test mode (no Stripe keys), in a real browser: buy a
paid licence on the sandbox's Checkout page (a declined card first), be refused a video
whose fee the empty wallet cannot hold and top the wallet up, connect a bank on its
onboarding page, get tipped, and withdraw. No Celery worker: the tasks (webhook
deliveries and handling, the payout's transfer) run inline once their transaction
commits, in the live server's threads, through the same endpoints as make run."""

import os
import re
from pathlib import Path

import pytest
import stripe
from playwright.sync_api import expect

from licensing.models import Grant
from marketplace.models import GenerationRequest
from payments import services
from payments.models import Payout
from tests.browser.conftest import CHROMIUM, log_in, screenshot
from tests.factories import (
    PASSWORD,
    CharacterFactory,
    UserFactory,
    WorkFactory,
    grant_for,
    publish_offer,
)
from tests.payments.conftest import eager_tasks  # noqa: F401 - a fixture used below

pytestmark = [pytest.mark.postgresql]


@pytest.fixture
def chromium(live_server, settings, monkeypatch, eager_tasks):  # noqa: F811
    """Chromium, with the site in test mode as make run has it (conftest's own starts a
    worker, which this journey does not need)."""
    from playwright.sync_api import sync_playwright

    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.SITE_URL = live_server.url
    settings.PAYOUT_THRESHOLD_MINOR = 500
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0)
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see tests/browser/conftest.py
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _pay(page, number: str) -> None:
    page.get_by_label("Card information").fill(number)
    page.get_by_label("Expiration (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_label("Cardholder name").fill("Test Payer")
    page.get_by_role("button", name=re.compile(r"^Pay \$")).click()


def test_a_newcomer_buys_a_licence_gets_tipped_and_withdraws_in_test_mode(browser_context):
    character = CharacterFactory(name="Kuro Neko")
    publish_offer(character, upfront_fee=2_000, per_generation_fee=300)
    creator = UserFactory(email="newcomer@creators.test", display_name="Newcomer")
    work = WorkFactory(
        creator=creator, grants=[grant_for(CharacterFactory(), creator, commercial_use=True)]
    )
    fan = UserFactory(email="fan@viewers.test")

    # The creator accepts the paid offer and lands on the sandbox's Checkout page.
    page = log_in(browser_context(), creator.email, PASSWORD)
    expect(page.get_by_text("Test mode: no real money")).to_be_visible()
    page.goto(f"/characters/{character.pk}/")
    page.get_by_role("button", name="Accept and pay").click()
    page.wait_for_url(re.compile(r"/sandbox/checkout/cs_test_"))
    expect(page.get_by_text("$20.00").first).to_be_visible()

    # Stripe's decline card is declined; its success card pays.
    _pay(page, "4000 0000 0000 0002")
    expect(page.get_by_text("Your card was declined.")).to_be_visible()
    _pay(page, "4242 4242 4242 4242")
    page.wait_for_url(re.compile(r"/checkout/done/"))
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    assert Grant.objects.get(licensee=creator, offer__character=character).status == "active"

    # With an empty wallet, the studio refuses a video the licence charges $3.00 for.
    page.goto("/studio/")
    page.get_by_label("Prompt").fill("Kuro Neko naps in the sun")
    page.get_by_label("Kuro Neko").check()
    page.get_by_role("button", name="Generate").click()
    refusal = page.locator("#insufficient-funds")
    expect(refusal).to_contain_text("top up at least $3.00")
    assert not GenerationRequest.objects.filter(creator=creator, prompt__contains="naps").exists()

    # The refusal's link leads to the wallet; $10.00 is paid on the Checkout page.
    refusal.get_by_role("link", name="Top up your wallet").click()
    page.wait_for_url(re.compile(r"/earnings/#wallet"))
    page.locator("#top-up-amount").select_option("1000")
    page.get_by_role("button", name="Top up").click()
    page.wait_for_url(re.compile(r"/sandbox/checkout/cs_test_"))
    _pay(page, "4242 4242 4242 4242")
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    page.get_by_role("link", name="Continue").click()
    expect(page.locator('[data-wallet="USD"]')).to_have_text("$10.00")

    # The creator connects a bank on the sandbox's onboarding page.
    page.goto("/earnings/connect/")
    page.get_by_role("button", name="Connect with Stripe").click()
    page.wait_for_url(re.compile(r"/sandbox/connect/link_"))
    page.get_by_label("Legal name").fill("New Comer")
    page.get_by_label(re.compile("I agree")).check()
    page.get_by_role("button", name="Agree and submit").click()
    page.wait_for_url(re.compile(r"/earnings/"))

    # A fan tips the creator's video $10, paying on the same Checkout page.
    fan_page = log_in(browser_context(), fan.email, PASSWORD)
    fan_page.goto(f"/works/{work.pk}/")
    fan_page.locator("#tip-amount").select_option("1000")
    fan_page.get_by_role("button", name="Tip").click()
    fan_page.wait_for_url(re.compile(r"/sandbox/checkout/"))
    _pay(fan_page, "4242424242424242")
    expect(fan_page.get_by_role("heading", name="Thank you")).to_be_visible()
    services.ledger_release_pending()  # what beat does every ten minutes

    # The creator withdraws the $9.00 now available.
    page.goto("/earnings/")
    panel = page.locator("#payouts")
    expect(panel.get_by_text("$5.00")).to_be_visible()  # the minimum
    page.get_by_role("button", name="Withdraw $9.00").click()
    expect(page.locator(".message.success")).to_contain_text("Withdrawal of $9.00 requested")
    page.reload()
    expect(panel.locator(".payout-paid")).to_be_visible()
    expect(panel.get_by_role("button", name="Withdraw")).to_be_disabled()
    expect(panel.get_by_text("Nothing is available to pay out yet")).to_be_visible()
    payout = Payout.objects.get(connected_account__user=creator)
    assert (payout.status, payout.amount) == ("paid", 900)
    assert all(total == 0 for total in services.ledger_totals().values())
    screenshot(page, "test-mode-withdrawn")
