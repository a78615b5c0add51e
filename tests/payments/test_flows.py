"""Each money flow end to end: the app talks to the Stripe fake over real HTTP, and the
fake posts signed webhooks back to the app's live server."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
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
from payments.stripe_gateway import StripeGateway
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for
from tests.payments.conftest import creator_with_available

pytestmark = pytest.mark.django_db(transaction=True)


def _balance(owner, kind, currency="USD") -> int:
    return services.balances_for(owner=owner).get((kind, currency), Money(0, currency)).amount


def _paid_grant(client, fake, *, fee=2_000, **terms):
    """A creator accepts a paid offer, pays through Checkout, and the webhook lands."""
    character = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = grant_for(character, creator, upfront_fee=fee, **terms)
    assert grant.status == "pending_payment"
    client.force_login(creator)
    response = client.post(reverse("payments:grant_pay", args=[grant.pk]))
    session = CheckoutSession.objects.get(grant=grant)
    assert response.status_code == 302 and response.url == session.url
    fake.complete_checkout(session.stripe_session_id)
    grant.refresh_from_db()
    return character, creator, grant, session


def test_connect_onboarding_enables_payouts_and_a_replayed_event_changes_nothing(
    client, fake_stripe
):
    # given: a creator starts "Connect your bank"
    creator = UserFactory()
    client.force_login(creator)
    response = client.post(reverse("payments:connect"), {"country": "JP"})
    connected = ConnectedAccount.objects.get(user=creator)
    assert response.status_code == 302 and "/connect/onboard/" in response.url
    assert connected.payouts_enabled is False

    # when: Stripe finishes onboarding and tells us (account.updated), twice
    [event] = fake_stripe.onboard_account(connected.stripe_account_id)
    fake_stripe.deliver(event["id"], times=1)

    # then
    connected.refresh_from_db()
    assert connected.payouts_enabled and connected.details_submitted
    assert StripeEvent.objects.filter(pk=event["id"]).count() == 1
    assert [d.response_body for d in fake_stripe.deliveries if d.event_id == event["id"]] == [
        "ok",
        "duplicate",
    ]


def test_paid_licence_activates_on_checkout_and_settles_the_fee_once(client, fake_stripe):
    character, _creator, grant, session = _paid_grant(client, fake_stripe, fee=2_000)

    assert grant.status == "active"
    session.refresh_from_db()
    assert session.status == "complete"
    event = RevenueEvent.objects.get(grant=grant)
    assert (event.kind, event.amount, event.status) == ("license_fee", 2_000, "settled")
    studio = character.owner_organization
    assert _balance(studio, AccountKind.PENDING) == 1_800
    assert _balance(None, AccountKind.PLATFORM_REVENUE) == 200
    assert checkout_transfer_group(fake_stripe, session) == str(grant.pk)

    # a replayed webhook changes nothing
    completed = fake_stripe.events_of("checkout.session.completed")[-1]
    fake_stripe.deliver(completed["id"], times=2)
    assert RevenueEvent.objects.filter(grant=grant).count() == 1
    assert LedgerTransaction.objects.filter(kind="revenue.license_fee").count() == 1
    assert _balance(studio, AccountKind.PENDING) == 1_800


def checkout_transfer_group(fake, session) -> str:
    intent = fake.payment_intents[
        fake.checkout_sessions[session.stripe_session_id]["payment_intent"]
    ]
    return intent["transfer_group"]


def test_expired_checkout_leaves_the_grant_waiting_and_paying_again_works(client, fake_stripe):
    character = CharacterFactory()
    creator = UserFactory()
    grant = grant_for(character, creator, upfront_fee=1_000)
    client.force_login(creator)
    client.post(reverse("payments:grant_pay", args=[grant.pk]))
    first = CheckoutSession.objects.get(grant=grant)

    fake_stripe.expire_checkout(first.stripe_session_id)

    first.refresh_from_db()
    grant.refresh_from_db()
    assert first.status == "expired" and grant.status == "pending_payment"
    page = client.get(reverse("licensing:my_grants")).content.decode()
    assert reverse("payments:grant_pay", args=[grant.pk]) in page
    client.post(reverse("payments:grant_pay", args=[grant.pk]))
    second = CheckoutSession.objects.exclude(pk=first.pk).get(grant=grant)
    fake_stripe.complete_checkout(second.stripe_session_id)
    grant.refresh_from_db()
    assert grant.status == "active"


def test_a_tip_is_split_down_the_lineage(client, fake_stripe):
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator, fan = UserFactory(), UserFactory()
    grant = grant_for(hoshi, creator, rev_share_bps=1_500, commercial_use=True)
    work = WorkFactory(creator=creator, grants=[grant])
    client.force_login(fan)

    response = client.post(
        reverse("payments:tip", args=[work.pk]), {"amount": "1000", "currency": "USD"}
    )
    session = CheckoutSession.objects.get(work=work)
    fake_stripe.complete_checkout(session.stripe_session_id)

    assert response.status_code == 302
    event = RevenueEvent.objects.get(work=work)
    assert (event.kind, event.amount) == ("tip", 1_000)
    # 15% to the studio, 10% platform fee, 75% to the creator
    assert _balance(hoshi.owner_organization, AccountKind.PENDING) == 150
    assert _balance(None, AccountKind.PLATFORM_REVENUE) == 100
    assert _balance(creator, AccountKind.PENDING) == 750


def test_webhooks_delivered_out_of_order_and_twice_end_in_the_same_state(client, fake_stripe):
    # given: the refund's event reaches us before the payment's
    character = CharacterFactory()
    creator = UserFactory()
    grant = grant_for(character, creator, upfront_fee=3_000)
    client.force_login(creator)
    client.post(reverse("payments:grant_pay", args=[grant.pk]))
    session = CheckoutSession.objects.get(grant=grant)
    with fake_stripe.hold_webhooks(order="reverse"):
        fake_stripe.complete_checkout(session.stripe_session_id)
        intent = fake_stripe.checkout_sessions[session.stripe_session_id]["payment_intent"]
        fake_stripe.refund_charge(intent)

    # then: the payment was recorded and reversed; the licence ended with the refund
    event = RevenueEvent.objects.get(grant=grant)
    grant.refresh_from_db()
    assert event.status == "refunded"
    assert grant.status == "revoked"
    assert _balance(character.owner_organization, AccountKind.PENDING) == 0
    assert _balance(None, AccountKind.PLATFORM_REVENUE) == 0

    # and: an event type we do not handle is acknowledged and ignored
    assert StripeEvent.objects.get(type="refund.created").result == "ignored"

    # and: every event delivered again changes nothing
    before = LedgerTransaction.objects.count()
    for stripe_event in fake_stripe.events:
        fake_stripe.deliver(stripe_event["id"])
    assert LedgerTransaction.objects.count() == before
    assert RevenueEvent.objects.count() == 1


def test_payout_runs_twice_but_transfers_once_and_the_webhook_confirms_it(client, fake_stripe):
    creator, connected, _ = creator_with_available(client, fake_stripe)
    available = _balance(creator, AccountKind.AVAILABLE)
    assert available == 4_500  # 90% of the $50 tip (no licence share on a free grant)

    gateway = StripeGateway.from_settings()
    first = services.payouts_run(gateway=gateway)
    second = services.payouts_run(gateway=gateway)
    fake_stripe.wait_for_deliveries()

    payout = Payout.objects.get(connected_account=connected)
    assert [p.pk for p in first] == [payout.pk] and second == []
    assert len(fake_stripe.transfers) == 1
    transfer = next(iter(fake_stripe.transfers.values()))
    assert transfer["amount"] == 4_500 and transfer["destination"] == connected.stripe_account_id
    assert (
        fake_stripe.requests_to("POST", "/v1/transfers")[0].idempotency_key == f"payout-{payout.pk}"
    )
    payout.refresh_from_db()
    assert payout.status == "paid"
    assert _balance(creator, AccountKind.AVAILABLE) == 0


def test_transfer_webhook_overtaking_the_submitting_task_still_marks_the_payout_paid(
    client, fake_stripe, monkeypatch
):
    # given: the transfer.created webhook arrives before the task has stored the
    # transfer id (Stripe answered, the event raced ahead of our commit)
    creator, connected, _ = creator_with_available(client, fake_stripe)
    gateway = StripeGateway.from_settings()
    real_record = services.payouts._payout_submitted
    fake_stripe.hold_webhooks()

    released = []

    def webhook_first(**kwargs):
        if not released:  # the task's own call: let the held webhook in first
            released.append(True)
            fake_stripe.release_webhooks()
            fake_stripe.wait_for_deliveries()
        return real_record(**kwargs)

    monkeypatch.setattr(services.payouts, "_payout_submitted", webhook_first)

    # when
    services.payouts_run(gateway=gateway)
    fake_stripe.wait_for_deliveries()

    # then: paid once, one transfer, and the submission recorded once
    payout = Payout.objects.get(connected_account=connected)
    assert payout.status == "paid"
    assert len(fake_stripe.transfers) == 1
    assert payout.stripe_transfer_id == next(iter(fake_stripe.transfers))
    assert list(payout.events.values_list("to_status", flat=True).order_by("created_at")) == [
        "created",
        "submitted",
        "paid",
    ]
    assert _balance(creator, AccountKind.AVAILABLE) == 0


def test_transfer_webhook_naming_no_known_payout_changes_nothing(client, fake_stripe):
    creator_with_available(client, fake_stripe)
    payout = services.payouts_create()[0]
    for payout_id in (None, "not-a-uuid", "6f1c2d1e-0000-4000-8000-000000000000"):
        assert services.payouts.payout_confirm(transfer_id="tr_other", payout_id=payout_id) is None
    payout.refresh_from_db()
    assert payout.status == "created" and payout.stripe_transfer_id == ""


def test_payout_killed_after_the_stripe_call_is_rerun_with_exactly_one_transfer(
    client, fake_stripe, monkeypatch
):
    creator, connected, _ = creator_with_available(client, fake_stripe)
    gateway = StripeGateway.from_settings()
    real_transition = services.payouts.payout_transition
    crashed = {"done": False}

    def crash_once(**kwargs):
        if kwargs.get("to") == "submitted" and not crashed["done"]:
            crashed["done"] = True
            raise SystemExit("worker killed between the Stripe call and the database update")
        return real_transition(**kwargs)

    monkeypatch.setattr(services.payouts, "payout_transition", crash_once)
    with pytest.raises(SystemExit):
        services.payouts_run(gateway=gateway)
    payout = Payout.objects.get(connected_account=connected)
    assert payout.status == "created"  # the database never heard back
    assert len(fake_stripe.transfers) == 1  # but Stripe did transfer

    services.payouts_run(gateway=gateway)
    fake_stripe.wait_for_deliveries()

    payout.refresh_from_db()
    assert len(fake_stripe.transfers) == 1
    assert payout.status in ("submitted", "paid")
    assert payout.stripe_transfer_id == next(iter(fake_stripe.transfers))
    assert _balance(creator, AccountKind.AVAILABLE) == 0


def test_a_failed_transfer_returns_the_money_and_says_why(client, fake_stripe):
    creator, connected, _ = creator_with_available(client, fake_stripe)
    services.payouts_run(gateway=StripeGateway.from_settings())
    fake_stripe.wait_for_deliveries()
    payout = Payout.objects.get(connected_account=connected)

    fake_stripe.fail_transfer(payout.stripe_transfer_id)

    payout.refresh_from_db()
    assert payout.status == "failed"
    assert "reversed" in payout.failure_reason
    assert _balance(creator, AccountKind.AVAILABLE) == 4_500


def test_insufficient_platform_balance_fails_the_payout_and_keeps_the_money(client, fake_stripe):
    creator, connected, _ = creator_with_available(client, fake_stripe)
    fake_stripe.add_balance(-fake_stripe.balance("usd"), "usd", None)  # Stripe's balance is empty

    services.payouts_run(gateway=StripeGateway.from_settings())

    payout = Payout.objects.get(connected_account=connected)
    assert payout.status == "failed"
    assert "Stripe refused the transfer" in payout.failure_reason
    assert _balance(creator, AccountKind.AVAILABLE) == 4_500


def test_refund_after_payout_reverses_the_transfer(client, fake_stripe):
    creator, _connected, work = creator_with_available(client, fake_stripe)
    services.payouts_run(gateway=StripeGateway.from_settings())
    fake_stripe.wait_for_deliveries()
    session = CheckoutSession.objects.get(work=work)
    intent = fake_stripe.checkout_sessions[session.stripe_session_id]["payment_intent"]

    fake_stripe.refund_charge(intent)
    fake_stripe.wait_for_deliveries()

    assert RevenueEvent.objects.get(work=work).status == "refunded"
    assert len(fake_stripe.transfer_reversals) == 1
    reversal = next(iter(fake_stripe.transfer_reversals.values()))
    assert reversal["amount"] == 4_500
    assert _balance(creator, AccountKind.AVAILABLE) == 0


def test_a_chargeback_reverses_the_revenue(client, fake_stripe):
    _, _, work = creator_with_available(client, fake_stripe)
    session = CheckoutSession.objects.get(work=work)
    intent = fake_stripe.checkout_sessions[session.stripe_session_id]["payment_intent"]
    charge = fake_stripe.payment_intents[intent]["latest_charge"]

    fake_stripe.dispute_charge(charge)

    assert RevenueEvent.objects.get(work=work).status == "refunded"
    assert LedgerTransaction.objects.filter(key=f"chargeback:{intent}").exists()


def test_bad_signatures_and_stale_events_are_refused(client, fake_stripe):
    creator = UserFactory()
    client.force_login(creator)
    client.post(reverse("payments:connect"))
    connected = ConnectedAccount.objects.get(user=creator)
    fake_stripe.hold_webhooks()
    [event] = fake_stripe.onboard_account(connected.stripe_account_id)
    fake_stripe.deliver(event["id"], secret="whsec_wrong")
    fake_stripe.deliver(event["id"], timestamp=int(timezone.now().timestamp()) - 3_600)

    assert [d.status for d in fake_stripe.deliveries[-2:]] == [400, 400]
    assert not StripeEvent.objects.filter(pk=event["id"]).exists()
    fake_stripe.release_webhooks()
    assert StripeEvent.objects.filter(pk=event["id"]).exists()


@pytest.mark.slow  # 400 settlements contending for the same rows from 8 threads
@pytest.mark.postgresql
def test_concurrent_revenue_on_one_account_from_threads_loses_nothing(eager_tasks):
    hoshi = CharacterFactory()
    creator = UserFactory()
    grant = grant_for(hoshi, creator, rev_share_bps=1_000, commercial_use=True)
    work = WorkFactory(creator=creator, grants=[grant])
    errors = []

    def tip(thread: int):
        try:
            for n in range(25):
                event, _ = services.revenue_event_record(
                    kind="tip",
                    source="stripe",
                    external_id=f"pi_thread{thread}_{n}",
                    money=Money(333, "USD"),
                    work=work,
                )
                services.revenue_event_settle(event=event)
                # the same event settled again from another thread's retry
                services.revenue_event_settle(event=event)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tip, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert RevenueEvent.objects.filter(work=work, status="settled").count() == 200
    # of 333: 10% (33.3) studio, 10% platform, 80% (266.4) creator, by largest remainder
    assert _balance(hoshi.owner_organization, AccountKind.PENDING) == 200 * 33
    assert _balance(creator, AccountKind.PENDING) == 200 * 267
    assert _balance(None, AccountKind.PLATFORM_REVENUE) == 200 * 33
    assert all(total == 0 for total in services.ledger_totals().values())


def test_pending_becomes_available_after_the_hold(settings, eager_tasks):
    settings.PENDING_HOLD_HOURS = 24
    hoshi = CharacterFactory()
    creator = UserFactory()
    work = WorkFactory(creator=creator, grants=[grant_for(hoshi, creator, commercial_use=True)])
    event, _ = services.revenue_event_record(
        kind="tip", source="stripe", external_id="pi_hold", money=Money(1_000, "USD"), work=work
    )
    services.revenue_event_settle(event=event)

    assert services.ledger_release_pending() == 0
    assert services.ledger_release_pending(now=timezone.now() + timedelta(hours=25)) == 1
    assert services.ledger_release_pending(now=timezone.now() + timedelta(hours=26)) == 0
    assert _balance(creator, AccountKind.AVAILABLE) == 900
    assert _balance(creator, AccountKind.PENDING) == 0
