"""Leases on money work (beat's ``payments.money_sweep``): a payout whose transfer
webhook never came is settled from the transfer itself, and a webhook event whose
handling was lost is handled after all; both once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboxMessage
from payments import services
from payments.models import Payout, StripeEvent
from payments.stripe_gateway import StripeGateway
from tests.payments.conftest import creator_with_available

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_payout_whose_webhook_never_came_is_paid_by_the_sweep_once(client, fake_stripe, settings):
    # given: a submitted payout whose transfer.created webhook is lost
    settings.PAYOUT_LEASE_SECONDS = 600
    _creator, connected, _ = creator_with_available(client, fake_stripe)
    gateway = StripeGateway.from_settings()
    fake_stripe.hold_webhooks()
    services.payouts_run(gateway=gateway)
    payout = Payout.objects.get(connected_account=connected)
    assert payout.status == "submitted"

    # when: the sweep runs within the lease, then after it, twice
    assert services.payouts_submitted_settle(gateway=gateway) == []
    Payout.objects.filter(pk=payout.pk).update(submitted_at=timezone.now() - timedelta(seconds=601))
    settled = services.payouts_submitted_settle(gateway=gateway)
    again = services.payouts_submitted_settle(gateway=gateway)

    # then: paid once, from the one transfer, which was read and not made again
    payout.refresh_from_db()
    assert [p.pk for p in settled] == [payout.pk] and again == []
    assert payout.status == "paid"
    assert len(fake_stripe.transfers) == 1
    assert len(fake_stripe.requests_to("POST", "/v1/transfers")) == 1
    assert list(payout.events.values_list("to_status", flat=True).order_by("created_at")) == [
        "created",
        "submitted",
        "paid",
    ]
    # and: the late webhook, delivered after all, changes nothing
    fake_stripe.release_webhooks()
    payout.refresh_from_db()
    assert payout.status == "paid" and payout.events.count() == 3


def test_a_payout_whose_transfer_was_reversed_is_failed_by_the_sweep(client, fake_stripe, settings):
    # given: a submitted payout whose transfer Stripe reversed, no webhook heard
    settings.PAYOUT_LEASE_SECONDS = 0
    creator, connected, _ = creator_with_available(client, fake_stripe)
    gateway = StripeGateway.from_settings()
    fake_stripe.hold_webhooks()
    services.payouts_run(gateway=gateway)
    payout = Payout.objects.get(connected_account=connected)
    fake_stripe.fail_transfer(payout.stripe_transfer_id)

    # when
    services.payouts_submitted_settle(gateway=gateway)

    # then: failed, the money back in the balance
    payout.refresh_from_db()
    assert payout.status == "failed"
    assert services.balances_for(owner=creator)[("available", "USD")].amount == payout.amount
    fake_stripe.release_webhooks()


def test_a_stored_event_never_handled_is_sent_again_until_stripes_retry_window_ends(
    settings,
):
    # given: three events never handled (received 10 minutes ago, 4 days ago, just
    # now) and one handled
    settings.WEBHOOK_LEASE_SECONDS = 300
    now = timezone.now()
    ages = {"evt_lost": 600, "evt_ancient": 4 * 86400, "evt_new": 1, "evt_done": 600}
    for event_id, age in ages.items():
        StripeEvent.objects.create(id=event_id, type="account.updated", payload={})
        StripeEvent.objects.filter(pk=event_id).update(
            received_at=now - timedelta(seconds=age),
            processed_at=now if event_id == "evt_done" else None,
        )

    # when
    resent = services.webhooks_unhandled_resend()

    # then: only the lost one is sent again, through the outbox
    assert resent == 1
    assert list(OutboxMessage.objects.values_list("task_name", "args")) == [
        ("payments.webhook_handle", ["evt_lost"])
    ]
