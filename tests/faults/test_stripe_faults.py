"""Stripe answers 500 or 429, drops the connection, or answers too late, on every call
that moves money: each call is retried with the same Idempotency-Key, and Stripe (the
fake) ends up with exactly one object.

stripe-python retries network errors, timeouts and 5xx itself (``max_network_retries``,
payments/stripe_gateway.py). It does not retry a 429, and it gives up after its
retries: then the Celery task retries (payments/tasks.py), with the same key."""

import fnmatch

import pytest
from django.urls import reverse

from core.money import Money
from payments import services
from payments.enums import AccountKind
from payments.models import CheckoutSession, ConnectedAccount, Payout, RevenueEvent
from payments.stripe_gateway import StripeGateway
from payments.tasks import payouts_run
from tests.factories import CharacterFactory, UserFactory, grant_for
from tests.payments.conftest import creator_with_available

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT_S = 0.5


@pytest.fixture
def task_retries_run(eager_tasks):
    """Eager tasks whose Celery retries run in place (an eager task that propagates
    its errors would raise the Retry instead)."""
    from config.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True  # as eager_tasks set it; it restores the rest


@pytest.fixture(autouse=True)
def _short_stripe_timeout(settings):
    settings.STRIPE_TIMEOUT_S = TIMEOUT_S
    settings.STRIPE_MAX_NETWORK_RETRIES = 3


def _fail_500_twice(fake, method, path):
    fake.fail_next(method, path, status=500, times=2)


def _lose_the_response(fake, method, path):
    # Stripe did the work; the 500 hides it from us.
    fake.fail_next(method, path, status=500, after_processing=True)


def _drop_the_connection(fake, method, path):
    fake.fail_next(method, path, status=0, after_processing=True)


def _answer_too_late(fake, method, path):
    fake.delay_next(method, path, TIMEOUT_S * 3)


FAULTS = {
    "500 twice": _fail_500_twice,
    "500 after doing the work": _lose_the_response,
    "connection dropped after doing the work": _drop_the_connection,
    "answer after the client's timeout": _answer_too_late,
}


def _attempts(fake, method, pattern):
    return [r for r in fake.requests if r.method == method and fnmatch.fnmatch(r.path, pattern)]


def _assert_one_key_and_retried(attempts, key):
    assert len(attempts) >= 2, [(r.status, r.replayed) for r in attempts]
    assert {r.idempotency_key for r in attempts} == {key}
    assert attempts[-1].status == 200


def _balance(owner, kind=AccountKind.AVAILABLE, currency="USD") -> int:
    return services.balances_for(owner=owner).get((kind, currency), Money(0, currency)).amount


# --- transfer (payout) -------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
def test_payout_transfer_is_retried_with_its_key_and_made_once(client, fake_stripe, fault):
    # given: a creator owed 4,500 and Stripe failing the next transfer call
    creator, connected, _ = creator_with_available(client, fake_stripe)
    FAULTS[fault](fake_stripe, "POST", "/v1/transfers")

    # when
    services.payouts_run(gateway=StripeGateway.from_settings())
    fake_stripe.wait_for_deliveries()

    # then
    payout = Payout.objects.get(connected_account=connected)
    _assert_one_key_and_retried(
        _attempts(fake_stripe, "POST", "/v1/transfers"), f"payout-{payout.pk}"
    )
    assert len(fake_stripe.transfers) == 1
    payout.refresh_from_db()
    assert payout.status == "paid"
    assert payout.stripe_transfer_id == next(iter(fake_stripe.transfers))
    assert _balance(creator) == 0


@pytest.mark.parametrize("status", [500, 429])
def test_payout_task_retries_after_the_sdk_gives_up_with_the_same_key(
    client, fake_stripe, task_retries_run, status
):
    # given: Stripe fails more times than stripe-python retries (a 429 it never
    # retries at all)
    creator, connected, _ = creator_with_available(client, fake_stripe)
    failures = 4 if status == 500 else 1
    fake_stripe.fail_next("POST", "/v1/transfers", status=status, times=failures)

    # when: the beat task runs (eagerly here: Celery runs its retries in place)
    payouts_run.apply()
    fake_stripe.wait_for_deliveries()

    # then: the task's retry sent the same key and Stripe made one transfer
    payout = Payout.objects.get(connected_account=connected)
    attempts = _attempts(fake_stripe, "POST", "/v1/transfers")
    assert [r.status for r in attempts] == [status] * failures + [200]
    assert {r.idempotency_key for r in attempts} == {f"payout-{payout.pk}"}
    assert len(fake_stripe.transfers) == 1
    payout.refresh_from_db()
    assert payout.status == "paid"
    assert Payout.objects.count() == 1
    assert _balance(creator) == 0


# --- checkout session (licence fee) -------------------------------------------------------


def _paid_offer(fee=2_000):
    character = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = grant_for(character, creator, upfront_fee=fee)
    return creator, grant


@pytest.mark.parametrize("fault", FAULTS)
def test_checkout_session_is_retried_with_its_key_and_made_once(client, fake_stripe, fault):
    creator, grant = _paid_offer()
    FAULTS[fault](fake_stripe, "POST", "/v1/checkout/sessions")

    client.force_login(creator)
    response = client.post(reverse("payments:grant_pay", args=[grant.pk]))

    session = CheckoutSession.objects.get(grant=grant)
    assert response.status_code == 302 and response.url == session.url
    _assert_one_key_and_retried(
        _attempts(fake_stripe, "POST", "/v1/checkout/sessions"), f"grant-{grant.pk}-checkout-0"
    )
    assert list(fake_stripe.checkout_sessions) == [session.stripe_session_id]


def test_checkout_refused_with_429_says_try_again_and_the_retry_reuses_the_key(client, fake_stripe):
    # given: Stripe rate-limits the first attempt (stripe-python does not retry a 429)
    creator, grant = _paid_offer()
    fake_stripe.fail_next(
        "POST", "/v1/checkout/sessions", status=429, error_type="invalid_request_error",
        code="rate_limit", message="Too many requests hit the API too quickly.",
    )  # fmt: skip
    client.force_login(creator)

    # when: the creator is told to try again, and does
    first = client.post(reverse("payments:grant_pay", args=[grant.pk]), follow=True)
    assert "Try again" in first.content.decode()
    assert not CheckoutSession.objects.filter(grant=grant).exists()
    second = client.post(reverse("payments:grant_pay", args=[grant.pk]))

    # then: the same key both times, one session
    session = CheckoutSession.objects.get(grant=grant)
    assert second.status_code == 302 and second.url == session.url
    attempts = _attempts(fake_stripe, "POST", "/v1/checkout/sessions")
    assert [r.status for r in attempts] == [429, 200]
    assert {r.idempotency_key for r in attempts} == {f"grant-{grant.pk}-checkout-0"}
    assert len(fake_stripe.checkout_sessions) == 1


# --- Connect account ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
def test_connect_account_is_retried_with_its_key_and_made_once(client, fake_stripe, fault):
    creator = UserFactory()
    FAULTS[fault](fake_stripe, "POST", "/v1/accounts")

    client.force_login(creator)
    response = client.post(reverse("payments:connect"), {"country": "US"})

    connected = ConnectedAccount.objects.get(user=creator)
    assert response.status_code == 302 and "/connect/onboard/" in response.url
    _assert_one_key_and_retried(
        _attempts(fake_stripe, "POST", "/v1/accounts"), f"connect-user-{creator.pk}"
    )
    assert list(fake_stripe.accounts) == [connected.stripe_account_id]


# --- refund after a payout: the transfer reversal ------------------------------------------


def _paid_out_then_refunded(client, fake):
    creator, _connected, work = creator_with_available(client, fake)
    services.payouts_run(gateway=StripeGateway.from_settings())
    fake.wait_for_deliveries()
    session = CheckoutSession.objects.get(work=work)
    intent = fake.checkout_sessions[session.stripe_session_id]["payment_intent"]
    return creator, work, intent


@pytest.mark.parametrize("fault", FAULTS)
def test_transfer_reversal_is_retried_with_its_key_and_made_once(client, fake_stripe, fault):
    creator, work, intent = _paid_out_then_refunded(client, fake_stripe)
    FAULTS[fault](fake_stripe, "POST", "/v1/transfers/*/reversals")

    fake_stripe.refund_charge(intent)  # the charge.refunded webhook claws the payout back
    fake_stripe.wait_for_deliveries()

    account = services.account_for(owner=creator, kind=AccountKind.AVAILABLE, currency="USD")
    _assert_one_key_and_retried(
        _attempts(fake_stripe, "POST", "/v1/transfers/*/reversals"),
        f"refund:{intent}-reversal-{account.pk}",
    )
    assert len(fake_stripe.transfer_reversals) == 1
    assert next(iter(fake_stripe.transfer_reversals.values()))["amount"] == 4_500
    assert RevenueEvent.objects.get(work=work).status == "refunded"
    assert _balance(creator) == 0


def test_reversal_failing_past_the_sdk_retries_is_made_by_the_tasks_retry(
    client, fake_stripe, task_retries_run
):
    # given: the ledger reversal will succeed but Stripe fails the transfer reversal
    # more times than stripe-python retries
    creator, work, intent = _paid_out_then_refunded(client, fake_stripe)
    fake_stripe.fail_next("POST", "/v1/transfers/*/reversals", status=503, times=4)

    # when: the webhook's task fails once, and Celery retries it
    fake_stripe.refund_charge(intent)
    fake_stripe.wait_for_deliveries()

    # then: the retry still claws back (the revenue event was already marked refunded
    # by the first attempt), with the same key, once
    account = services.account_for(owner=creator, kind=AccountKind.AVAILABLE, currency="USD")
    attempts = _attempts(fake_stripe, "POST", "/v1/transfers/*/reversals")
    assert [r.status for r in attempts] == [503] * 4 + [200]
    assert {r.idempotency_key for r in attempts} == {f"refund:{intent}-reversal-{account.pk}"}
    assert len(fake_stripe.transfer_reversals) == 1
    assert RevenueEvent.objects.get(work=work).status == "refunded"
    assert _balance(creator) == 0


# --- refund ------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
def test_refund_is_retried_with_its_key_and_made_once(client, fake_stripe, fault):
    # The app refunds through Stripe's Dashboard today; the gateway's refund call is
    # still held to the same promise.
    _, _, work = creator_with_available(client, fake_stripe)
    session = CheckoutSession.objects.get(work=work)
    intent = fake_stripe.checkout_sessions[session.stripe_session_id]["payment_intent"]
    FAULTS[fault](fake_stripe, "POST", "/v1/refunds")

    StripeGateway.from_settings().refund_create(key=f"refund-{intent}", payment_intent=intent)
    fake_stripe.wait_for_deliveries()

    _assert_one_key_and_retried(_attempts(fake_stripe, "POST", "/v1/refunds"), f"refund-{intent}")
    assert len(fake_stripe.refunds) == 1
    assert RevenueEvent.objects.get(work=work).status == "refunded"
