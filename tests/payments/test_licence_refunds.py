"""A licence request that closes without the licence (declined by the rightsholder, not
decided by its deadline, withdrawn, its offer ended) refunds any fee paid for it: the
ledger at once, Stripe once (key ``refund-<id>``), whatever the webhooks do after."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.money import Money
from licensing import services as licensing_services
from licensing.models import Grant
from payments import services
from payments.enums import AccountKind
from payments.models import (
    CheckoutSession,
    LedgerTransaction,
    Refund,
    RevenueEvent,
    StripeEvent,
)
from payments.stripe_gateway import StripeGateway
from tests.factories import CharacterFactory, UserFactory, editor_of, grant_for

pytestmark = pytest.mark.django_db(transaction=True)
FEE = 2_000


def _gateway() -> StripeGateway:
    return StripeGateway.from_settings()


def _balance(owner, kind) -> int:
    return services.balances_for(owner=owner).get((kind, "USD"), Money(0, "USD")).amount


def _paid_request(client, fake, **terms):
    """A creator accepts a per-licensee offer with a fee and pays it: the request waits
    for the rightsholder, the fee settled (90% to the studio, pending)."""
    character = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = grant_for(character, creator, upfront_fee=FEE, approval="per_licensee", **terms)
    client.force_login(creator)
    client.post(reverse("payments:grant_pay", args=[grant.pk]))
    session = CheckoutSession.objects.get(grant=grant)
    fake.complete_checkout(session.stripe_session_id)
    grant.refresh_from_db()
    assert grant.status == "pending_approval"
    assert _balance(character.owner_organization, AccountKind.PENDING) == 1_800
    return character, creator, grant, session


def _assert_refunded_once(fake, grant, character):
    """The fee went back in full, once: Stripe holds one refund keyed by our Refund row,
    the revenue is reversed, and nobody keeps any of it."""
    fake.wait_for_deliveries()
    event = RevenueEvent.objects.get(grant=grant)
    refund = Refund.objects.get(event=event)
    assert (event.status, refund.status, refund.amount) == ("refunded", "submitted", FEE)
    [made] = fake.refunds.values()
    assert (made["amount"], made["payment_intent"]) == (FEE, event.external_id)
    [call] = fake.requests_to("POST", "/v1/refunds")
    assert call.idempotency_key == f"refund-{refund.pk}"
    assert refund.stripe_refund_id == made["id"]
    assert _balance(character.owner_organization, AccountKind.PENDING) == 0
    assert _balance(None, AccountKind.PLATFORM_REVENUE) == 0
    assert CheckoutSession.objects.get(grant=grant).status == "refunded"
    assert set(services.ledger_totals().values()) == {0}


def test_a_declined_paid_request_is_refunded_once_and_replayed_webhooks_change_nothing(
    client, fake_stripe
):
    # given: a paid request waiting in the rightsholder's queue, with its deadline shown
    character, creator, grant, _ = _paid_request(client, fake_stripe)
    studio = editor_of(character)
    client.force_login(studio)
    queue = client.get(reverse("marketplace:approvals")).content.decode()
    assert f"decide by {timezone.localtime(grant.approval_deadline):%-d %b %H:%M}" in queue

    # when: the rightsholder declines it in the approvals queue
    response = client.post(
        reverse("marketplace:approvals"),
        {"grant": str(grant.pk), "decision": "reject", "reason": "Not for ads"},
    )

    # then: declined, and the fee refunded through Stripe once
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == "revoked" and grant.end_reason == "Not for ads"
    _assert_refunded_once(fake_stripe, grant, character)
    assert _results(fake_stripe, "charge.refunded") == ["refund reversed"]

    # and: every webhook delivered again, and beat's sweep, change nothing
    before = LedgerTransaction.objects.count()
    for event in fake_stripe.events:
        fake_stripe.deliver(event["id"])
    assert (
        services.refunds_submit_due(gateway=_gateway(), now=timezone.now() + timedelta(hours=1))
        == 0
    )
    assert LedgerTransaction.objects.count() == before
    assert len(fake_stripe.refunds) == 1
    # and: the licensee reads why on My licences
    client.force_login(creator)
    assert "Not for ads" in client.get(reverse("licensing:my_grants")).content.decode()


def test_a_paid_request_left_past_its_deadline_is_declined_and_refunded(client, fake_stripe):
    # given: a request whose rightsholder gives themselves 48 hours
    character, _creator, grant, _ = _paid_request(client, fake_stripe, approval_deadline_hours=48)
    assert abs(grant.approval_deadline - (timezone.now() + timedelta(hours=48))) < timedelta(
        minutes=1
    )

    # when: beat runs before and after the deadline
    assert licensing_services.grants_approval_expire(now=timezone.now() + timedelta(hours=47)) == 0
    expired = licensing_services.grants_approval_expire(now=timezone.now() + timedelta(hours=49))

    # then: declined by default, and refunded
    assert expired == 1
    grant.refresh_from_db()
    assert grant.status == "revoked"
    assert "did not decide in time" in grant.end_reason
    _assert_refunded_once(fake_stripe, grant, character)


def test_deciding_after_the_deadline_is_refused_over_the_api(api_client, client, fake_stripe):
    # given: a paid request whose deadline passed before beat came round
    character, _creator, grant, _ = _paid_request(client, fake_stripe)
    Grant.objects.filter(pk=grant.pk).update(
        approval_deadline=timezone.now() - timedelta(minutes=1)
    )
    api_client.force_authenticate(editor_of(character))

    # when
    response = api_client.post(
        f"/api/v1/grants/{grant.pk}/decide/", {"decision": "approve"}, format="json"
    )

    # then: 400 expired; the licence did not start
    assert response.status_code == 400
    assert response.json()["code"] == "expired"
    grant.refresh_from_db()
    assert grant.status == "pending_approval"


def test_declining_over_the_api_refunds_too(api_client, client, fake_stripe):
    character, _creator, grant, _ = _paid_request(client, fake_stripe)
    api_client.force_authenticate(editor_of(character))

    response = api_client.post(
        f"/api/v1/grants/{grant.pk}/decide/", {"decision": "reject"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    _assert_refunded_once(fake_stripe, grant, character)


def test_a_licensee_withdrawing_a_paid_request_gets_the_fee_back(client, fake_stripe):
    character, creator, grant, _ = _paid_request(client, fake_stripe)

    licensing_services.grant_end_by_licensee(grant=grant, by=creator, reason="changed my mind")

    _assert_refunded_once(fake_stripe, grant, character)


def test_a_fee_paid_after_the_request_was_withdrawn_is_refunded(client, fake_stripe):
    # given: a creator opens Checkout, then withdraws before paying
    character = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = grant_for(character, creator, upfront_fee=FEE)
    client.force_login(creator)
    client.post(reverse("payments:grant_pay", args=[grant.pk]))
    session = CheckoutSession.objects.get(grant=grant)
    licensing_services.grant_end_by_licensee(grant=grant, by=creator)

    # when: the payment still goes through
    fake_stripe.complete_checkout(session.stripe_session_id)

    # then: the licence stays ended and the fee goes back
    grant.refresh_from_db()
    assert grant.status == "ended"
    _assert_refunded_once(fake_stripe, grant, character)


def test_a_free_request_that_expires_is_declined_and_refunds_nothing(client, fake_stripe):
    # given: a free per-licensee request
    character = CharacterFactory()
    grant = grant_for(character, UserFactory(), approval="per_licensee")
    assert grant.status == "pending_approval" and grant.approval_deadline is not None

    # when
    licensing_services.grants_approval_expire(now=timezone.now() + timedelta(days=4))

    # then
    grant.refresh_from_db()
    assert grant.status == "revoked"
    assert not Refund.objects.exists() and fake_stripe.refunds == {}


def test_a_refund_whose_task_was_lost_is_submitted_by_the_sweep_once(
    client, fake_stripe, monkeypatch
):
    # given: a declined request whose refund task never reached the broker
    monkeypatch.setattr("payments.services.refunds._enqueue", lambda refund_id: None)
    character, _creator, grant, _ = _paid_request(client, fake_stripe)
    licensing_services.grant_reject(grant=grant, by=editor_of(character))
    refund = Refund.objects.get()
    assert refund.status == "due" and fake_stripe.refunds == {}
    # the ledger is already reversed: nobody holds the fee meanwhile
    assert _balance(character.owner_organization, AccountKind.PENDING) == 0

    # when: beat sweeps (too early, then after the grace), twice
    assert services.refunds_submit_due(gateway=_gateway()) == 0
    later = timezone.now() + timedelta(minutes=10)
    assert services.refunds_submit_due(gateway=_gateway(), now=later) == 1
    assert services.refunds_submit_due(gateway=_gateway(), now=later) == 0

    # then
    _assert_refunded_once(fake_stripe, grant, character)


def test_a_refund_stripe_refuses_for_good_is_marked_failed_for_staff(client, fake_stripe):
    # given: the fee was already refunded in Stripe's Dashboard, and we have not heard yet
    character, _creator, grant, session = _paid_request(client, fake_stripe)
    fake_stripe.hold_webhooks()
    intent = fake_stripe.checkout_sessions[session.stripe_session_id]["payment_intent"]
    fake_stripe.refund_charge(intent)

    # when: the rightsholder declines
    licensing_services.grant_reject(grant=grant, by=editor_of(character))

    # then: Stripe refuses a second refund, so ours is failed with the reason for staff
    refund = Refund.objects.get()
    assert refund.status == "failed" and refund.failure_reason
    assert len(fake_stripe.refunds) == 1
    # and: the ledger was reversed once; the Dashboard refund's webhook adds nothing
    fake_stripe.release_webhooks()
    assert _balance(character.owner_organization, AccountKind.PENDING) == 0
    assert RevenueEvent.objects.get(grant=grant).status == "refunded"
    assert set(services.ledger_totals().values()) == {0}


def _results(fake, event_type: str) -> list[str]:
    """What the app recorded for each webhook event of this type."""
    ids = [e["id"] for e in fake.events_of(event_type)]
    return list(StripeEvent.objects.filter(pk__in=ids).values_list("result", flat=True))
