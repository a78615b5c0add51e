"""PostgreSQL drops the payout's connection at the worst moment: Stripe has made the
transfer and answered, and the database has not yet heard. The next run sends the same
key, Stripe returns the same transfer, and the payout ends submitted or paid once."""

import psycopg
import pytest
from django.db import OperationalError, connection

from core.money import Money
from payments import services
from payments.enums import AccountKind
from payments.models import LedgerTransaction, Payout, PayoutEvent
from payments.stripe_gateway import StripeGateway
from tests.payments.conftest import creator_with_available

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


class DropsTheConnectionAfterTheTransfer(StripeGateway):
    """The real gateway; after the first transfer call returns, another connection
    terminates this one's backend (``pg_terminate_backend``), as a failover, a restart
    or a network cut would."""

    def __init__(self, client):
        super().__init__(client)
        self.dropped = 0

    def transfer_create(self, **kwargs):
        transfer = super().transfer_create(**kwargs)
        if not self.dropped:
            self.dropped += 1
            victim = connection.connection.info.backend_pid
            settings = connection.settings_dict
            with psycopg.connect(
                dbname=settings["NAME"],
                user=settings["USER"],
                host=settings["HOST"],
                port=settings["PORT"],
                autocommit=True,
            ) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [victim])
        return transfer


def test_payout_whose_connection_drops_after_the_transfer_is_paid_once(client, fake_stripe):
    # given: a creator owed 4,500
    creator, connected, _ = creator_with_available(client, fake_stripe)
    gateway = DropsTheConnectionAfterTheTransfer(StripeGateway.from_settings().client)

    # when: the payout run loses its connection right after Stripe transferred
    with pytest.raises(OperationalError):
        services.payouts_run(gateway=gateway)
    assert gateway.dropped == 1 and len(fake_stripe.transfers) == 1
    # (what Celery's Django fixup does before the task's retry: drop the dead connection)
    connection.close()
    # and the run is retried
    services.payouts_run(gateway=gateway)
    fake_stripe.wait_for_deliveries()

    # then: one transfer, every attempt with the payout's key, the payout paid once
    payout = Payout.objects.get(connected_account=connected)
    attempts = fake_stripe.requests_to("POST", "/v1/transfers")
    assert {r.idempotency_key for r in attempts} == {f"payout-{payout.pk}"}
    assert len(fake_stripe.transfers) == 1
    assert payout.stripe_transfer_id == next(iter(fake_stripe.transfers))
    assert payout.status == "paid"
    assert list(PayoutEvent.objects.filter(payout=payout).values_list("to_status", flat=True)) == [
        "created",
        "submitted",
        "paid",
    ]
    # and: the money was reserved once and never returned
    assert Payout.objects.count() == 1
    assert LedgerTransaction.objects.filter(key=f"payout:{payout.pk}:reserve").count() == 1
    assert not LedgerTransaction.objects.filter(key=f"payout:{payout.pk}:return").exists()
    available = services.balances_for(owner=creator).get(
        (AccountKind.AVAILABLE, "USD"), Money(0, "USD")
    )
    assert available.amount == 0
