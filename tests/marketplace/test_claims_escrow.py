"""Escrow per claim, deadlines for escalated disputes, and staff review for a claimant
whose claims keep being released on dispute."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.money import Money
from marketplace import services as marketplace_services
from marketplace.events import DisputeSettled
from marketplace.models import Claim, Dispute
from payments import handlers
from payments import services as payments_services
from payments.enums import AccountKind
from payments.models import LedgerTransaction
from tests.factories import CharacterFactory, UserFactory, WorkFactory, editor_of, grant_for

pytestmark = pytest.mark.django_db


def _pending(owner) -> int:
    return (
        payments_services.balances_for(owner=owner)
        .get((AccountKind.PENDING, "USD"), Money(0, "USD"))
        .amount
    )


def _escrow() -> int:
    account = payments_services.platform_account(kind=AccountKind.ESCROW, currency="USD")
    return payments_services.balance(account=account).amount


def _tip(work, external_id: str, amount: int = 1_000):
    event, _ = payments_services.revenue_event_record(
        kind="tip",
        source="stripe",
        external_id=external_id,
        money=Money(amount, "USD"),
        work=work,
    )
    return payments_services.revenue_event_settle(event=event)


def _claim(work, character, policy="track"):
    return marketplace_services.claim_file(
        work=work,
        character=character,
        by=editor_of(character),
        reason="terms_breach",
        evidence="A beer at 0:02.",
        policy=policy,
    )


@pytest.fixture
def two_claims():
    """A commercial work showing two studios' characters (10% each), both claimed and
    both disputed by its creator."""
    hoshi, kuro = CharacterFactory(name="Hoshi-chan"), CharacterFactory(name="Kuro Neko")
    creator = UserFactory()
    grants = [
        grant_for(c, creator, rev_share_bps=1_000, commercial_use=True) for c in (hoshi, kuro)
    ]
    work = WorkFactory(creator=creator, grants=grants, title="Hoshi and Kuro")
    claims = {}
    for character in (hoshi, kuro):
        claim = _claim(work, character)
        marketplace_services.dispute_open(claim=claim, by=creator, reason="Licensed and fine.")
        claims[character.name] = Claim.objects.get(pk=claim.pk)
    return work, creator, hoshi, kuro, claims


def test_settling_one_dispute_releases_only_that_claims_share_of_the_escrow(
    two_claims, api_client, client
):
    work, creator, hoshi, kuro, claims = two_claims
    hoshi_studio, kuro_studio = hoshi.owner_organization, kuro.owner_organization

    # when: $10 arrives while both disputes are open
    txn = _tip(work, "pi_1")

    # then: the parties' $9 waits in escrow, half held for each claim
    assert _escrow() == 900
    assert sorted(txn.meta["escrow_claims"].values()) == [450, 450]
    assert set(txn.meta["escrow_claims"]) == {str(c.pk) for c in claims.values()}

    # when: Hoshi's studio releases its claim over the API
    api_client.force_authenticate(editor_of(hoshi))
    response = api_client.post(
        f"/api/v1/disputes/{claims['Hoshi-chan'].dispute.pk}/resolve/",
        {"decision": "release"},
        format="json",
    )
    assert response.status_code == 200, response.json()

    # then: only Hoshi's claim's $4.50 goes to the split's recipients, in proportion
    # (studios 10% each, the creator 70%, of the $9: 50, 50 and 350 of the 450); Kuro's
    # claim still holds its share
    assert _escrow() == 450
    assert (_pending(hoshi_studio), _pending(kuro_studio), _pending(creator)) == (50, 50, 350)

    # when: a second tip arrives while only Kuro's dispute is open
    _tip(work, "pi_2")

    # then: all of its escrowed part is held for Kuro's claim
    assert _escrow() == 450 + 900

    # when: Kuro's studio upholds its claim from its claims dashboard
    client.force_login(editor_of(kuro))
    response = client.post(
        reverse("marketplace:dispute_resolve", args=[claims["Kuro Neko"].dispute.pk]),
        {"decision": "uphold"},
    )
    assert response.status_code == 302

    # then: everything Kuro's claim held goes to Kuro's studio; escrow is empty
    assert _escrow() == 0
    assert _pending(kuro_studio) == 50 + 450 + 900
    assert (_pending(hoshi_studio), _pending(creator)) == (50, 350)
    assert set(payments_services.ledger_totals().values()) == {0}


def test_a_replayed_dispute_settled_event_moves_nothing_more(two_claims):
    work, _creator, hoshi, _kuro, claims = two_claims
    _tip(work, "pi_1")
    claim = claims["Hoshi-chan"]
    marketplace_services.dispute_resolve(dispute=claim.dispute, by=editor_of(hoshi), uphold=False)
    moves = LedgerTransaction.objects.filter(kind="escrow.out").count()

    # when: payments gets the same event again (a retried handler)
    handlers.escrow_follows_dispute(
        DisputeSettled(
            dispute_id=claim.dispute.pk,
            claim_id=claim.pk,
            work_id=work.pk,
            upheld=False,
            claimant_organization_id=claim.organization_id,
        )
    )

    # then
    assert LedgerTransaction.objects.filter(kind="escrow.out").count() == moves == 1
    assert _escrow() == 450


def test_escrow_held_before_it_was_kept_per_claim_moves_whole_with_the_first_dispute(
    two_claims,
):
    # given: a revenue transaction escrowed the old way, with no per-claim shares
    work, creator, hoshi, kuro, claims = two_claims
    txn = _tip(work, "pi_1")
    meta = {k: v for k, v in txn.meta.items() if k != "escrow_claims"}
    LedgerTransaction.objects.filter(pk=txn.pk).update(meta=meta)

    # when: the first dispute is released, then the second upheld
    marketplace_services.dispute_resolve(
        dispute=claims["Hoshi-chan"].dispute, by=editor_of(hoshi), uphold=False
    )
    marketplace_services.dispute_resolve(
        dispute=claims["Kuro Neko"].dispute, by=editor_of(kuro), uphold=True
    )

    # then: the whole of it went with the first, once
    assert _escrow() == 0
    assert _pending(creator) == 700
    assert LedgerTransaction.objects.filter(key=f"escrow-out:{txn.key}").count() == 1


# --- escalated disputes have a deadline ----------------------------------------------------


def test_an_escalated_dispute_staff_leave_undecided_is_released_at_its_deadline(client, api_client):
    # given: a blocked work, disputed, escalated by its creator
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(hoshi, creator, rev_share_bps=1_000, commercial_use=True)],
    )
    claim = _claim(work, hoshi, policy="block")
    dispute = marketplace_services.dispute_open(claim=claim, by=creator, reason="Fair use.")
    _tip(work, "pi_1")
    api_client.force_authenticate(creator)
    response = api_client.post(f"/api/v1/disputes/{dispute.pk}/escalate/")
    escalated = Dispute.objects.get(pk=dispute.pk)

    # then: staff have 14 days from now, and both sides read the deadline
    assert response.status_code == 200
    assert response.json()["status"] == "escalated"
    assert response.json()["deadline"].startswith(escalated.deadline.strftime("%Y-%m-%dT%H:%M"))
    assert abs(escalated.deadline - (timezone.now() + timedelta(days=14))) < timedelta(minutes=1)
    client.force_login(creator)
    panel = client.get(reverse("marketplace:claims_for_work", args=[work.pk])).content.decode()
    assert f"Our staff decide by {escalated.deadline:%-d %b %Y}, or the claim is released" in panel

    # when: beat runs before and after that deadline
    assert marketplace_services.disputes_expire(now=timezone.now() + timedelta(days=13)) == 0
    assert marketplace_services.disputes_expire(now=timezone.now() + timedelta(days=15)) == 1

    # then: released by default: the escrow to its recipients, the block lifted
    dispute.refresh_from_db()
    work.refresh_from_db()
    assert (dispute.status, dispute.resolved_by) == ("released", None)
    assert dispute.resolution_note == "Released: our staff did not decide in time."
    assert work.status == "published"
    assert _escrow() == 0 and _pending(creator) == 800


def test_staff_deciding_before_the_escalation_deadline_is_final(staff):
    hoshi = CharacterFactory()
    creator = UserFactory()
    work = WorkFactory(creator=creator, grants=[grant_for(hoshi, creator, commercial_use=True)])
    claim = _claim(work, hoshi)
    dispute = marketplace_services.dispute_open(claim=claim, by=creator, reason="Fair use.")
    marketplace_services.dispute_escalate(dispute=dispute, by=editor_of(hoshi))

    marketplace_services.dispute_resolve(dispute=dispute, by=staff, uphold=True)

    assert marketplace_services.disputes_expire(now=timezone.now() + timedelta(days=30)) == 0
    dispute.refresh_from_db()
    assert dispute.status == "upheld"


# --- a claimant whose claims keep being released -------------------------------------------


def _released_claims(character, count: int, *, days_ago: int = 1) -> None:
    """``count`` claims by the character's studio, each disputed and released."""
    for n in range(count):
        creator = UserFactory()
        work = WorkFactory(
            creator=creator, grants=[grant_for(character, creator)], title=f"Fan video {n}"
        )
        claim = _claim(work, character)
        dispute = marketplace_services.dispute_open(claim=claim, by=creator, reason="Fair use.")
        marketplace_services.dispute_resolve(dispute=dispute, by=editor_of(character), uphold=False)
        Dispute.objects.filter(pk=dispute.pk).update(
            resolved_at=timezone.now() - timedelta(days=days_ago)
        )


def _fresh_work(character):
    creator = UserFactory()
    return WorkFactory(creator=creator, grants=[grant_for(character, creator)], title="New video")


def test_after_three_claims_released_on_dispute_in_90_days_the_next_waits_for_staff(
    api_client, client
):
    # given: Hoshi's studio had two claims released on dispute recently and one long ago
    hoshi = CharacterFactory(name="Hoshi-chan")
    _released_claims(hoshi, 2)
    _released_claims(hoshi, 1, days_ago=100)

    # then: its next claim still takes effect at once
    assert _claim(_fresh_work(hoshi), hoshi, policy="block").status == "active"

    # given: a third recent release
    _released_claims(hoshi, 1, days_ago=10)

    # when: it claims another video over the API
    work = _fresh_work(hoshi)
    api_client.force_authenticate(editor_of(hoshi))
    response = api_client.post(
        f"/api/v1/works/{work.pk}/claims/",
        {
            "character_id": str(hoshi.pk),
            "reason": "terms_breach",
            "evidence": "A beer at 0:02.",
            "policy": "block",
        },
        format="json",
    )

    # then: staff review it first, saying why, and the video is untouched
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "staff_review"
    assert body["review_reason"] == (
        f"3 of {hoshi.owner_organization.name}'s claims were released on dispute in the "
        "last 90 days"
    )
    work.refresh_from_db()
    assert work.status == "published"
    assert body["dispute_until"] is None
    # and: the claims dashboard tells the claimant why
    client.force_login(editor_of(hoshi))
    dashboard = client.get(reverse("marketplace:claims_dashboard")).content.decode()
    assert "claims were released on dispute in the last 90 days, so reviewed" in dashboard


def test_staff_accepting_a_repeat_claimants_claim_makes_it_take_effect(staff):
    # given: a claim held for review because of the claimant's record
    hoshi = CharacterFactory(name="Hoshi-chan")
    _released_claims(hoshi, 3)
    work = _fresh_work(hoshi)
    claim = _claim(work, hoshi, policy="block")
    assert claim.status == "staff_review"

    # when
    marketplace_services.claim_review_accept(claim=claim, by=staff)

    # then
    claim.refresh_from_db()
    work.refresh_from_db()
    assert claim.status == "active" and work.status == "delisted"
