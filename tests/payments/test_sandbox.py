"""Test mode: with no Stripe keys configured, the payments sandbox inside Cocreate stands
in for Stripe. The app's own gateway talks to it through stripe-python over HTTP (the
live server), its local Checkout and onboarding pages are used with the Django test
client, and every event it sends arrives signed at the same webhook endpoint, handlers
and ledger as production."""

from datetime import timedelta

import pytest
import stripe
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.money import Money
from payments import services
from payments.enums import AccountKind
from payments.models import (
    CheckoutSession,
    ConnectedAccount,
    LedgerTransaction,
    Payout,
    RevenueEvent,
    StripeEvent,
)
from payments.sandbox import api, delivery, store
from payments.sandbox.adopt import sandbox_adopt
from payments.sandbox.models import SandboxBalance, SandboxEvent, SandboxObject, SandboxRequest
from payments.sandbox.tasks import sandbox_redeliver
from payments.stripe_gateway import StripeGateway, stripe_client
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for

pytestmark = pytest.mark.django_db(transaction=True)

CARD = {"email": "mika@example.com", "expiry": "12 / 40", "cvc": "123", "name": "Mika Ito"}
BANK = {"name": "Mika Ito", "routing_number": "110000000", "account_number": "000123456789"}


@pytest.fixture
def sandbox(live_server, settings, monkeypatch, eager_tasks):
    """Test mode as ``make run`` has it: no Stripe key or webhook secret configured; the
    site (and so the sandbox's API and pages) on the live server."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = ""
    settings.SITE_URL = live_server.url
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0)
    return live_server


def _ledger_sums_to_zero() -> bool:
    return all(total == 0 for total in services.ledger_totals().values())


def _buy_licence(client, *, fee=2_000):
    character = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = grant_for(character, creator, upfront_fee=fee)
    client.force_login(creator)
    pay = client.post(reverse("payments:grant_pay", args=[grant.pk]))
    session = CheckoutSession.objects.get(grant=grant)
    return character, creator, grant, session, pay


def _onboard(client, user):
    client.force_login(user)
    start = client.post(reverse("payments:connect"), {"country": "US"})
    done = client.post(start["Location"], {**BANK, "accept": "on"})
    return start, done


def test_a_paid_licence_is_bought_on_the_local_checkout_page(client, sandbox):
    # given: a creator whose licence waits for its $20.00 fee presses Pay
    character, _creator, grant, session, pay = _buy_licence(client)

    # then: Pay leads to the sandbox's Checkout page, labelled as test mode
    assert pay.status_code == 302 and pay.url == session.url
    assert session.url.startswith(f"{sandbox.url}/sandbox/checkout/cs_test_")
    page = client.get(session.url).content.decode()
    assert "Test mode: no real money" in page
    assert "$20.00" in page and "Licence: Hoshi-chan" in page

    # when: the documented decline card, then the documented success card
    declined = client.post(session.url, {**CARD, "number": "4000 0000 0000 0002"})
    assert declined.status_code == 400
    assert "Your card was declined." in declined.content.decode()
    assert not SandboxEvent.objects.exists()
    grant.refresh_from_db()
    assert grant.status == "pending_payment"
    paid = client.post(session.url, {**CARD, "number": "4242 4242 4242 4242"})

    # then: back to Cocreate; the signed webhook arrived and activated the licence
    assert paid.status_code == 302
    assert paid.url == f"{sandbox.url}/checkout/done/?session={session.stripe_session_id}"
    grant.refresh_from_db()
    assert grant.status == "active"
    completed = StripeEvent.objects.get(type="checkout.session.completed")
    assert completed.result == "checkout complete"
    assert completed.payload["data"]["object"]["payment_status"] == "paid"
    assert completed.payload["livemode"] is False
    assert set(SandboxEvent.objects.values_list("last_status", flat=True)) == {200}
    event = RevenueEvent.objects.get(grant=grant)
    assert (event.kind, event.amount, event.status) == ("license_fee", 2_000, "settled")
    assert services.balances_for(owner=character.owner_organization)[
        (AccountKind.PENDING, "USD")
    ] == Money(1_800, "USD")
    assert _ledger_sums_to_zero()
    assert "Thank you" in client.get(paid.url).content.decode()
    # the platform's sandbox balance holds the payment, as Stripe's would
    assert SandboxBalance.objects.get(account="", currency="usd").available == 2_000


def test_connect_onboarding_completes_on_the_local_page(client, sandbox):
    creator = UserFactory()
    client.force_login(creator)

    start = client.post(reverse("payments:connect"), {"country": "US"})
    form = client.get(start["Location"])
    incomplete = client.post(start["Location"], BANK)  # the agreement not ticked
    done = client.post(start["Location"], {**BANK, "accept": "on"})

    assert start["Location"].startswith(f"{sandbox.url}/sandbox/connect/link_")
    assert form.status_code == 200 and "Test mode: no real money" in form.content.decode()
    assert incomplete.status_code == 400
    assert done.status_code == 302 and done.url == f"{sandbox.url}/earnings/connect/return/"
    connected = ConnectedAccount.objects.get(user=creator)
    assert connected.payouts_enabled and connected.details_submitted
    updated = StripeEvent.objects.get(type="account.updated")
    assert updated.payload["account"] == connected.stripe_account_id
    assert updated.payload["data"]["previous_attributes"]["payouts_enabled"] is False
    # a used link is spent: opening it again asks Cocreate for a fresh one
    assert client.get(start["Location"]).url == f"{sandbox.url}/earnings/connect/"


def test_an_onboarding_link_expires_after_five_minutes(client, sandbox):
    creator = UserFactory()
    client.force_login(creator)
    start = client.post(reverse("payments:connect"), {"country": "US"})

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        late = client.post(start["Location"], {**BANK, "accept": "on"})

    assert late.status_code == 302 and late.url == f"{sandbox.url}/earnings/connect/"
    assert not ConnectedAccount.objects.get(user=creator).payouts_enabled


def test_a_tip_and_a_withdrawal_in_test_mode_pay_out_through_the_sandbox(client, sandbox):
    # given: an onboarded creator, and a fan who tips $50.00 on the local Checkout page
    creator = UserFactory()
    _onboard(client, creator)
    work = WorkFactory(
        creator=creator, grants=[grant_for(CharacterFactory(), creator, commercial_use=True)]
    )
    client.force_login(UserFactory())
    tip = client.post(
        reverse("payments:tip", args=[work.pk]), {"amount": "5000", "currency": "USD"}
    )
    client.post(tip["Location"], {**CARD, "number": "4242424242424242"})
    services.ledger_release_pending()

    # when: the creator withdraws
    client.force_login(creator)
    withdrawn = client.post(reverse("payments:withdraw"), follow=True)

    # then: the transfer went through the sandbox with the payout's key, and its
    # transfer.created webhook marked the payout paid
    payout = Payout.objects.get()
    assert "Withdrawal of $45.00 requested" in withdrawn.content.decode()
    assert (payout.status, payout.amount) == ("paid", 4_500)
    transfer = SandboxObject.objects.get(pk=payout.stripe_transfer_id).data
    assert transfer["destination"] == ConnectedAccount.objects.get(user=creator).stripe_account_id
    assert transfer["metadata"] == {"payout_id": str(payout.pk)}
    assert SandboxRequest.objects.filter(key=f"payout-{payout.pk}", path="/v1/transfers").exists()
    assert StripeEvent.objects.get(type="transfer.created").result == "payout paid"
    assert SandboxBalance.objects.get(account="", currency="usd").available == 500
    assert SandboxBalance.objects.get(account=transfer["destination"]).available == 4_500
    assert _ledger_sums_to_zero()


def test_every_event_delivered_again_or_in_reverse_order_moves_nothing_twice(
    client, sandbox, monkeypatch
):
    # given: a licence paid and then refunded through the sandbox, with every event held
    held: list[str] = []
    monkeypatch.setattr(store, "enqueue_delivery", held.append)
    _character, _creator, grant, session, _ = _buy_licence(client, fee=3_000)
    client.post(session.url, {**CARD, "number": "4242424242424242"})
    session.refresh_from_db()
    intent = SandboxObject.objects.get(object="payment_intent").pk
    StripeGateway.from_settings().refund_create(key="refund-test", payment_intent=intent)
    assert [SandboxEvent.objects.get(pk=e).type for e in held] == [
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
        "refund.created",
        "charge.refunded",
    ]

    # when: delivered newest first (the refund before the payment), then all again
    for event_id in reversed(held):
        delivery.event_deliver(event_id=event_id)
    settled = LedgerTransaction.objects.count()
    for event_id in held:
        delivery.event_deliver(event_id=event_id)

    # then: paid once, reversed once; the licence ended with the refund
    grant.refresh_from_db()
    assert grant.status == "revoked"
    assert RevenueEvent.objects.get(grant=grant).status == "refunded"
    assert LedgerTransaction.objects.count() == settled
    assert LedgerTransaction.objects.filter(kind="revenue.reversal").count() == 1
    assert StripeEvent.objects.count() == len(held)
    assert _ledger_sums_to_zero()


def test_an_expired_checkout_session_sends_its_event_and_paying_again_works(client, sandbox):
    _character, _creator, grant, first, _ = _buy_licence(client)

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        page = client.get(first.url).content.decode()
        paid_late = client.post(first.url, {**CARD, "number": "4242424242424242"})

    first.refresh_from_db()
    assert "This checkout has expired" in page and "This checkout has expired" in (
        paid_late.content.decode()
    )
    assert first.status == "expired"
    client.post(reverse("payments:grant_pay", args=[grant.pk]))
    second = CheckoutSession.objects.exclude(pk=first.pk).get(grant=grant)
    client.post(second.url, {**CARD, "number": "4242424242424242"})
    grant.refresh_from_db()
    assert grant.status == "active"


def test_the_sandbox_api_keeps_stripes_idempotency_and_checks_its_key(sandbox, settings):
    gateway = StripeGateway.from_settings()
    params = {"email": "a@example.com", "country": "US", "metadata": {"user": "1"}}

    first = gateway.account_create(key="connect-user-1", **params)
    again = gateway.account_create(key="connect-user-1", **params)
    with pytest.raises(stripe.IdempotencyError):
        gateway.account_create(key="connect-user-1", **{**params, "country": "JP"})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        gateway.transfer_create(
            key="t-1", amount=100, currency="usd", destination="acct_nobody", metadata={}
        )
    with pytest.raises(stripe.InvalidRequestError) as currency:
        gateway.checkout_session_create(
            key="cs-1", amount=500, currency="XYZ", name="Tip", success_url="http://x/",
            cancel_url="http://x/", transfer_group="", metadata={},
        )  # fmt: skip
    wrong_key = stripe.StripeClient(
        "sk_test_someone_else", base_addresses={"api": f"{sandbox.url}/sandbox/stripe"}
    )
    with pytest.raises(stripe.AuthenticationError):
        wrong_key.v1.accounts.retrieve(first.id)

    assert again.id == first.id and SandboxObject.objects.filter(object="account").count() == 1
    assert missing.value.code == "resource_missing"
    assert currency.value.param == "line_items[0][price_data][currency]"


def test_with_stripe_keys_configured_the_sandbox_is_closed(client, sandbox, settings):
    # given: keys, as production (or a developer with a Stripe test key) has them
    settings.STRIPE_SECRET_KEY = "sk_test_a_real_stripe_test_key"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_real"
    SandboxObject.objects.create(
        id="cs_test_left_over", object="checkout.session", data={"status": "open"}
    )

    # when / then: no sandbox page or API answers, and the gateway is Stripe's own
    for path in (
        "/sandbox/checkout/cs_test_left_over/",
        "/sandbox/connect/link_anything/",
        "/sandbox/stripe/v1/balance",
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path).status_code == 404, path
    assert stripe_client()._requestor.base_addresses["api"] == "https://api.stripe.com"
    assert "Test mode: no real money" not in client.get("/").content.decode()
    # and production settings never open it, even with the key left empty
    settings.STRIPE_SECRET_KEY = ""
    settings.IS_PRODUCTION = True
    assert client.get("/sandbox/stripe/v1/balance").status_code == 404


def test_test_mode_is_shown_on_every_page(client, sandbox):
    assert "Test mode: no real money" in client.get("/").content.decode()


def test_a_delivery_the_endpoint_refuses_is_recorded_and_lands_when_sent_again(
    sandbox, monkeypatch
):
    # given: an event signed with a secret the endpoint does not hold
    event = SandboxEvent.objects.create(
        id="evt_test_retry",
        type="balance.available",
        payload={"id": "evt_test_retry", "object": "event", "type": "balance.available",
                 "data": {"object": {"object": "balance"}}},
    )  # fmt: skip
    monkeypatch.setattr(delivery, "webhook_secret", lambda: "whsec_not_the_endpoints")

    # when
    with pytest.raises(delivery.DeliveryFailed):
        delivery.event_deliver(event_id=event.pk)

    # then: refused (400, with why), kept for the task's retry, nothing stored
    event.refresh_from_db()
    assert (event.attempts, event.last_status, event.delivered_at) == (1, 400, None)
    assert event.last_error.startswith("invalid signature")
    assert not StripeEvent.objects.filter(pk="evt_test_retry").exists()

    # and: sent again, signed with the endpoint's secret, it lands once
    monkeypatch.undo()
    assert delivery.event_deliver(event_id=event.pk) == 200
    assert StripeEvent.objects.get(pk="evt_test_retry").type == "balance.available"


def test_history_written_offline_is_adopted_once_and_its_payee_can_withdraw(client, sandbox):
    # given: a payee connected and paid before any sandbox existed (as seed_demo does,
    # with its offline stand-in), whose later revenue is available
    payee = UserFactory()
    ConnectedAccount.objects.create(
        stripe_account_id="acct_demo_history", payouts_enabled=True, user=payee
    )
    work = WorkFactory(
        creator=payee, grants=[grant_for(CharacterFactory(), payee, commercial_use=True)]
    )
    event, _ = services.revenue_event_record(
        kind="tip", source="stripe", external_id="pi_demo_x", money=Money(2_000, "USD"), work=work
    )
    services.revenue_event_settle(event=event)
    services.ledger_release_pending()
    held = -services.balances_for(owner=None)[(AccountKind.STRIPE_CLEARING, "USD")].amount

    # when: the seed hands the sandbox its history, twice (make run seeds every start)
    first = sandbox_adopt(
        key="demo", accounts=[("acct_demo_history", payee.email, "US")], funds={"USD": held}
    )
    again = sandbox_adopt(
        key="demo", accounts=[("acct_demo_history", payee.email, "US")], funds={"USD": held}
    )
    client.force_login(payee)
    client.post(reverse("payments:withdraw"))

    # then: adopted once, and the payout went through the sandbox to that account
    assert (first, again) == (True, False)
    payout = Payout.objects.get()
    assert (payout.status, payout.amount) == ("paid", 1_800)
    assert SandboxBalance.objects.get(account="", currency="usd").available == held - 1_800
    assert SandboxBalance.objects.get(account="acct_demo_history").available == 1_800


def test_an_event_whose_delivery_was_never_enqueued_is_swept_up(sandbox, settings):
    # given: an event made a while ago whose delivery never reached the broker
    SandboxEvent.objects.create(
        id="evt_test_lost",
        type="balance.available",
        payload={"id": "evt_test_lost", "object": "event", "type": "balance.available",
                 "data": {"object": {"object": "balance"}}},
    )  # fmt: skip
    SandboxEvent.objects.filter(pk="evt_test_lost").update(
        created_at=timezone.now() - timedelta(minutes=5)
    )

    # when: beat's sweep runs (and once more, with nothing left)
    swept, again = sandbox_redeliver(), sandbox_redeliver()

    # then
    assert (swept, again) == (1, 0)
    assert SandboxEvent.objects.get(pk="evt_test_lost").delivered_at is not None
    assert StripeEvent.objects.filter(pk="evt_test_lost").exists()
    settings.STRIPE_SECRET_KEY = "sk_test_a_real_stripe_test_key"
    assert sandbox_redeliver() == 0  # with keys it does nothing


def test_a_bug_in_the_sandbox_answers_as_stripe_does_and_is_not_retried(sandbox, monkeypatch):
    calls = []

    def broken(params, request):
        calls.append(request["id"])
        raise KeyError("a bug")

    monkeypatch.setattr(api, "route", lambda method, path: (broken, ()))
    with pytest.raises(stripe.APIError) as failed:
        StripeGateway.from_settings().balance_retrieve()

    assert failed.value.http_status == 500
    assert len(calls) == 1  # Stripe-Should-Retry: false, so stripe-python did not retry
