"""Pending revenue becomes available once the hold has passed, whatever happened to it
in between. The scripted month (test_scripted_month.py) found two ways it did not:

- a refund or chargeback during the hold took the shares back out of pending, and the
  release then took them from pending again, which PostgreSQL refused (a studio's
  pending balance below zero) after a licence request was declined during the hold;
- revenue a settled dispute let out of escrow went to pending and was never released."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.money import Money
from marketplace import services as marketplace_services
from payments import services
from payments.enums import AccountKind
from payments.models import LedgerTransaction, RevenueEvent
from tests.builders import dispute_opened, tip_settled
from tests.factories import CharacterFactory, UserFactory, WorkFactory, editor_of, grant_for

pytestmark = pytest.mark.django_db
HOLD = 48


def _balance(owner, kind) -> int:
    return services.balances_for(owner=owner).get((kind, "USD"), Money(0, "USD")).amount


def _after_the_hold():
    return timezone.now() + timedelta(hours=HOLD + 1)


@pytest.fixture
def work(settings):
    settings.PENDING_HOLD_HOURS = HOLD
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant = grant_for(hoshi, creator, commercial_use=True, rev_share_bps=1_500)
    return WorkFactory(creator=creator, grants=[grant])


@pytest.mark.parametrize("reason", ["refund", "chargeback"])
def test_revenue_reversed_during_the_hold_releases_nothing_and_takes_nothing(work, reason):
    # given: a tip settled (pending: 75% creator, 15% studio), then reversed in the hold
    studio = work.licenses.get().character.owner_organization
    tip_settled(work, "pi_reversed", amount=2_000)
    event = RevenueEvent.objects.get(external_id="pi_reversed")
    services.revenue_reverse(event=event, reason=reason, key=f"{reason}:pi_reversed")
    assert _balance(work.creator, AccountKind.PENDING) == 0

    # when: beat releases after the hold, twice
    first = services.ledger_release_pending(now=_after_the_hold())
    again = services.ledger_release_pending(now=_after_the_hold())

    # then: nothing moved to anyone's available balance, nothing went below zero, and
    # the settlement and its reversal are both marked released
    assert (first, again) == (1, 0)
    for owner in (work.creator, studio):
        assert _balance(owner, AccountKind.PENDING) == 0
        assert _balance(owner, AccountKind.AVAILABLE) == 0
    released = LedgerTransaction.objects.filter(key__startswith="release:")
    assert sorted(t.key for t in released) == sorted(
        [f"release:revenue:{event.pk}", f"release:{reason}:pi_reversed"]
    )
    assert not released.get(key=f"release:revenue:{event.pk}").entries.exists()
    assert set(services.ledger_totals().values()) == {0}


def test_a_reversal_during_the_hold_leaves_the_other_revenue_to_release(work):
    # given: two tips pending; the first is refunded in the hold
    tip_settled(work, "pi_kept", amount=1_000)
    tip_settled(work, "pi_refunded", amount=3_000)
    event = RevenueEvent.objects.get(external_id="pi_refunded")
    services.revenue_reverse(event=event, reason="refunded", key="refund:pi_refunded")

    # when
    services.ledger_release_pending(now=_after_the_hold())

    # then: only the kept tip's share is available
    assert _balance(work.creator, AccountKind.AVAILABLE) == 750
    assert _balance(work.creator, AccountKind.PENDING) == 0


def test_a_reversal_after_the_release_takes_from_available_and_its_release_moves_nothing(work):
    tip_settled(work, "pi_late", amount=2_000)
    assert services.ledger_release_pending(now=_after_the_hold()) == 1
    event = RevenueEvent.objects.get(external_id="pi_late")

    services.revenue_reverse(event=event, reason="refunded", key="refund:pi_late")
    services.ledger_release_pending(now=_after_the_hold() + timedelta(days=3))

    assert _balance(work.creator, AccountKind.AVAILABLE) == 0
    assert _balance(work.creator, AccountKind.PENDING) == 0
    assert not LedgerTransaction.objects.get(key="release:refund:pi_late").entries.exists()


@pytest.mark.parametrize("uphold", [False, True])
def test_revenue_let_out_of_escrow_becomes_available_after_the_hold(work, uphold):
    # given: a disputed work's tip held in escrow, then the dispute settled
    character = work.licenses.get().character
    studio = character.owner_organization
    dispute = dispute_opened(work, character, claimant=editor_of(character), reason="Mine")
    tip_settled(work, "pi_escrowed", amount=2_000)
    assert _balance(work.creator, AccountKind.PENDING) == 0
    marketplace_services.dispute_resolve(dispute=dispute, by=editor_of(character), uphold=uphold)

    # when: beat releases after the hold
    services.ledger_release_pending(now=_after_the_hold())

    # then: what escrow let out is available to whoever it went to; nothing is pending
    if uphold:
        assert _balance(studio, AccountKind.AVAILABLE) == 1_800
    else:
        assert _balance(work.creator, AccountKind.AVAILABLE) == 1_500
        assert _balance(studio, AccountKind.AVAILABLE) == 300
    for owner in (work.creator, studio):
        assert _balance(owner, AccountKind.PENDING) == 0
    escrow = services.platform_account(kind=AccountKind.ESCROW, currency="USD")
    assert services.balance(account=escrow).amount == 0
