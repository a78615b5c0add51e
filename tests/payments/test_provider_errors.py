"""Nobody reads a raw error from Stripe or from the network: every payments page and
API operation that calls Stripe says what happened in our words, with a reference, and
the log holds Stripe's own error under the same reference."""

import logging
import re
import socket

import pytest
import stripe
from django.urls import reverse
from rest_framework.test import APIClient

from payments import services
from payments.models import ConnectedAccount, Payout
from payments.stripe_gateway import StripeGateway
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for, publish_offer
from tests.payments.conftest import creator_with_available

RAW = ("HTTPSConnectionPool", "HTTPConnectionPool", "support@stripe.com", "Connection refused",
       "Errno", "stripe.com", "Traceback", "APIConnectionError")  # fmt: skip
REFERENCE = re.compile(r"\(Reference: ([0-9a-f]{10})\)")


@pytest.fixture
def stripe_down(settings, monkeypatch):
    """Stripe's address answers nothing: a port nobody listens on, no retries."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0)


def _shown_and_logged(text: str, caplog) -> str:
    """The message a person read holds no raw error, and its reference is in the log
    next to Stripe's own error."""
    assert not [raw for raw in RAW if raw in text], text
    found = REFERENCE.search(text)
    assert found, text
    logged = [r.getMessage() for r in caplog.records if found.group(1) in r.getMessage()]
    assert logged and "APIConnectionError" in logged[0], logged
    return found.group(1)


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.mark.django_db
def test_pay_with_stripe_down_says_what_to_do_with_a_reference(client, stripe_down, caplog):
    caplog.set_level(logging.WARNING, logger="payments.provider")
    creator = UserFactory()
    grant = grant_for(CharacterFactory(), creator, upfront_fee=2_000)
    client.force_login(creator)

    response = client.post(reverse("payments:grant_pay", args=[grant.pk]), follow=True)

    text = _messages(response)
    assert "Our payment provider did not answer, so we could not start the payment." in text
    assert "Nothing was charged. Try again in a minute." in text
    _shown_and_logged(response.content.decode(), caplog)


@pytest.mark.django_db
def test_accepting_a_paid_offer_with_stripe_down_keeps_the_grant_and_says_why(
    client, stripe_down, caplog
):
    caplog.set_level(logging.WARNING, logger="payments.provider")
    character = CharacterFactory()
    offer = publish_offer(character, upfront_fee=2_000)
    client.force_login(UserFactory())

    response = client.post(
        reverse("payments:offer_accept", args=[character.pk, offer.pk]),
        {"max_fee": "2000", "max_rev_share_bps": "10000"},
        follow=True,
    )

    text = _messages(response)
    assert text.startswith("Accepted. Payment is needed before the licence becomes active.")
    _shown_and_logged(text, caplog)


@pytest.mark.django_db
def test_tipping_with_stripe_down_says_what_to_do(client, stripe_down, caplog):
    caplog.set_level(logging.WARNING, logger="payments.provider")
    creator = UserFactory()
    work = WorkFactory(
        creator=creator, grants=[grant_for(CharacterFactory(), creator, commercial_use=True)]
    )
    client.force_login(UserFactory())

    response = client.post(
        reverse("payments:tip", args=[work.pk]), {"amount": "500", "currency": "USD"}
    )

    # the tip's refusal page, with what to do and the logged reference
    page = response.content.decode()
    assert response.status_code == 503
    assert "so we could not start the tip" in page
    _shown_and_logged(page, caplog)


@pytest.mark.django_db
def test_connecting_a_bank_with_stripe_down_says_what_to_do(client, stripe_down, caplog):
    caplog.set_level(logging.WARNING, logger="payments.provider")
    client.force_login(UserFactory())

    response = client.post(reverse("payments:connect"), {"country": "US"}, follow=True)

    assert "so we could not start connecting your bank account" in _messages(response)
    _shown_and_logged(response.content.decode(), caplog)
    assert not ConnectedAccount.objects.exists()


@pytest.mark.django_db
def test_the_api_answers_503_in_the_error_shape_with_a_reference(stripe_down, caplog):
    caplog.set_level(logging.WARNING, logger="payments.provider")
    creator = UserFactory()
    grant = grant_for(CharacterFactory(), creator, upfront_fee=2_000)
    api = APIClient()
    api.force_authenticate(creator)

    response = api.post(f"/api/v1/grants/{grant.pk}/checkout/")

    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "payment_provider_unavailable" and body["field"] is None
    _shown_and_logged(body["detail"], caplog)


@pytest.mark.django_db
def test_a_wrong_stripe_key_is_not_blamed_on_the_person(client, settings, caplog, fake_stripe):
    caplog.set_level(logging.WARNING, logger="payments.provider")
    settings.STRIPE_SECRET_KEY = "sk_test_not_the_fakes"
    creator = UserFactory()
    grant = grant_for(CharacterFactory(), creator, upfront_fee=2_000)
    client.force_login(creator)

    response = client.post(reverse("payments:grant_pay", args=[grant.pk]), follow=True)

    text = _messages(response)
    assert text.startswith("Payments are not set up correctly on our side")
    assert "Invalid API Key" not in response.content.decode()
    reference = REFERENCE.search(text).group(1)
    assert any(
        reference in r.getMessage() and "AuthenticationError" in r.getMessage()
        for r in caplog.records
    )


@pytest.mark.django_db(transaction=True)
def test_a_refused_transfer_reads_as_our_words_on_the_payout(client, fake_stripe, caplog):
    caplog.set_level(logging.WARNING, logger="payments.provider")
    creator, connected, _ = creator_with_available(client, fake_stripe)
    fake_stripe.add_balance(-fake_stripe.balance("usd"), "usd", None)

    services.payouts_run(gateway=StripeGateway.from_settings())

    payout = Payout.objects.get(connected_account=connected)
    assert payout.status == "failed"
    assert payout.failure_reason.startswith(
        "Stripe refused the transfer: the platform's Stripe balance could not cover it yet."
    )
    assert "4000000000000077" not in payout.failure_reason  # Stripe's advice to developers
    reference = REFERENCE.search(payout.failure_reason).group(1)
    assert any(
        reference in r.getMessage() and "insufficient available funds" in r.getMessage()
        for r in caplog.records
    )
    client.force_login(creator)
    page = client.get(reverse("payments:earnings")).content.decode()
    assert "the platform&#x27;s Stripe balance could not cover it yet" in page
