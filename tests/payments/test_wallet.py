"""Topping up a wallet through Checkout: credited once when Stripe confirms (a replayed
webhook changes nothing), shown on the earnings page and in the API, taken back on a
refund as far as it is unspent; bad amounts are refused naming the field."""

import pytest
from django.urls import reverse

from payments.enums import AccountKind
from payments.models import CheckoutSession, LedgerTransaction
from payments.services import balance, ledger_totals
from payments.services.ledger import account_for
from tests.factories import CharacterFactory, UserFactory, grant_for

pytestmark = pytest.mark.django_db


def _balance(owner, kind, currency="USD") -> int:
    return balance(account=account_for(owner=owner, kind=kind, currency=currency)).amount


def _top_up(client, fake, user, amount="2000", currency="USD") -> CheckoutSession:
    client.force_login(user)
    response = client.post(
        reverse("payments:wallet_top_up"), {"amount": amount, "currency": currency}
    )
    session = CheckoutSession.objects.get(payer=user, purpose="wallet_top_up")
    assert response.status_code == 302 and response["Location"] == session.url
    fake.complete_checkout(session.stripe_session_id)
    return session


def test_a_top_up_is_credited_to_the_wallet_once_when_stripe_confirms_it(client, fake_stripe):
    creator = UserFactory()

    session = _top_up(client, fake_stripe, creator)

    session.refresh_from_db()
    assert session.status == "complete"
    assert _balance(creator, AccountKind.WALLET) == 2_000
    assert LedgerTransaction.objects.filter(key=f"topup:{session.pk}").count() == 1
    # a replayed webhook changes nothing
    completed = fake_stripe.events_of("checkout.session.completed")[-1]
    fake_stripe.deliver(completed["id"], times=2)
    assert _balance(creator, AccountKind.WALLET) == 2_000
    assert set(ledger_totals().values()) == {0}
    # the earnings page shows it
    page = client.get(reverse("payments:earnings")).content.decode()
    assert 'data-wallet="USD">$20.00' in page


def test_a_refunded_top_up_takes_back_what_is_unspent_and_books_the_rest_as_owed(
    client, fake_stripe
):
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator, per_generation_fee=1_500)
    session = _top_up(client, fake_stripe, creator)
    from marketplace import services as marketplace_services

    request = marketplace_services.generation_request_create(
        creator=creator, prompt="Hoshi-chan waves", character_ids=[hoshi.pk], enqueue=False
    )
    marketplace_services.generation_check(request_id=request.pk)
    for status in ("signing", "published"):
        marketplace_services.generation_transition(request_id=request.pk, to=status)
    assert _balance(creator, AccountKind.WALLET) == 500

    # when the top-up's payment is refunded
    session.refresh_from_db()
    fake_stripe.refund_charge(session.payment_intent_id)

    # then the wallet gives back what is left; the spent part is owed to the platform
    session.refresh_from_db()
    assert session.status == "refunded"
    assert _balance(creator, AccountKind.WALLET) == 0
    assert _balance(None, AccountKind.RECEIVABLE) == -1_500
    assert set(ledger_totals().values()) == {0}


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        (0, "USD", "amount"),
        (-500, "USD", "amount"),
        (499, "USD", "amount"),
        (2**63, "USD", "amount"),
        (10**30, "USD", "amount"),
        (12.5, "USD", "amount"),
        ("1000", "USD", "amount"),
        (None, "USD", "amount"),
        (1000, "XYZ", "currency"),
        (1000, "U\x00D", "currency"),
    ],
)
def test_bad_top_ups_are_refused_naming_the_field(api_client, amount, currency, field):
    user = UserFactory()
    api_client.force_authenticate(user)

    response = api_client.post(
        "/api/v1/wallet/top-ups/", {"amount": amount, "currency": currency}, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field, response.json()
    assert not CheckoutSession.objects.exists()


def test_the_web_form_refuses_a_bad_top_up_with_the_reason_and_moves_nothing(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("payments:wallet_top_up"), {"amount": "5", "currency": "USD"}, follow=True
    )

    assert "Nothing was added: A top-up is between $5.00 and $2,000.00." in (
        response.content.decode()
    )
    assert not CheckoutSession.objects.exists()


def test_the_api_shows_the_wallet_and_lets_earnings_pay_fees(api_client):
    user = UserFactory()
    api_client.force_authenticate(user)

    assert api_client.get("/api/v1/wallet/").json() == {
        "fees_from_earnings": False,
        "balances": [],
    }
    changed = api_client.patch("/api/v1/wallet/", {"fees_from_earnings": True}, format="json")

    assert changed.status_code == 200 and changed.json()["fees_from_earnings"] is True
