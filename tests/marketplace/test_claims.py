"""Claims, disputes with escrow, and revocation."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.errors import DomainError, NotPermitted
from core.money import Money
from licensing import services
from marketplace import selectors as marketplace_selectors
from marketplace import services as marketplace_services
from marketplace.models import Claim
from payments import services as payments_services
from payments.enums import AccountKind
from tests.factories import (
    CharacterFactory,
    MembershipFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
)

pytestmark = pytest.mark.django_db


def _pending(owner, currency="USD") -> int:
    return (
        payments_services.balances_for(owner=owner)
        .get(("pending", currency), Money(0, currency))
        .amount
    )


def _escrow() -> int:
    account = payments_services.platform_account(kind=AccountKind.ESCROW, currency="USD")
    return payments_services.balance(account=account).amount


def _tip(work, n: int, amount=1_000):
    event, _ = payments_services.revenue_event_record(
        kind="tip",
        source="stripe",
        external_id=f"pi_{work.pk}_{n}",
        money=Money(amount, "USD"),
        work=work,
    )
    return payments_services.revenue_event_settle(event=event)


@pytest.fixture
def claimed_setting():
    """A studio's character in a creator's published work, licensed at 10%."""
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(hoshi, creator, rev_share_bps=1_000, commercial_use=True)],
    )
    return hoshi, creator, work, editor_of(hoshi)


def _claim(hoshi, work, by, policy="track"):
    return marketplace_services.claim_file(
        work=work,
        character=hoshi,
        by=by,
        reason="terms_breach",
        evidence="Shown in a beer ad.",
        policy=policy,
    )


def test_claim_then_dispute_then_release_returns_the_escrow_to_the_original_recipients(
    claimed_setting, django_capture_on_commit_callbacks, eager_celery
):
    hoshi, creator, work, studio_owner = claimed_setting
    studio = hoshi.owner_organization
    with django_capture_on_commit_callbacks(execute=True):
        claim = _claim(hoshi, work, studio_owner)
    assert mail.outbox[-1].to == [creator.email] and "claimed your video" in mail.outbox[-1].subject

    # when: the creator disputes, and $10 of tips arrive while the dispute is open
    marketplace_services.dispute_open(claim=claim, by=creator, reason="It is a juice ad, not beer.")
    _tip(work, 1)

    # then: the parties' shares wait in escrow; only the platform fee is booked
    assert _escrow() == 900
    assert _pending(creator) == 0 and _pending(studio) == 0

    # when: the claimant releases the claim
    marketplace_services.dispute_resolve(dispute=claim.dispute, by=studio_owner, uphold=False)

    # then: escrow goes to who the split engine names (10% studio, 80% creator)
    assert _escrow() == 0
    assert _pending(studio) == 100 and _pending(creator) == 800
    claim.refresh_from_db()
    assert claim.status == "released"
    # and: revenue after the dispute flows normally again
    _tip(work, 2)
    assert _pending(creator) == 1_600


def test_claim_then_dispute_then_uphold_gives_the_escrow_to_the_claimant_and_keeps_the_block(
    claimed_setting,
):
    hoshi, creator, work, studio_owner = claimed_setting
    studio = hoshi.owner_organization
    claim = _claim(hoshi, work, studio_owner, policy="block")
    marketplace_services.dispute_open(claim=claim, by=creator, reason="I had a licence.")
    _tip(work, 1)

    marketplace_services.dispute_resolve(
        dispute=claim.dispute, by=studio_owner, uphold=True, note="Beer is banned."
    )

    assert _escrow() == 0
    assert _pending(studio) == 900 and _pending(creator) == 0
    work.refresh_from_db()
    assert work.status == "delisted"


def test_an_unanswered_dispute_is_released_at_its_deadline(claimed_setting):
    hoshi, creator, work, studio_owner = claimed_setting
    claim = _claim(hoshi, work, studio_owner, policy="block")
    dispute = marketplace_services.dispute_open(claim=claim, by=creator, reason="Fair use.")
    _tip(work, 1)

    assert marketplace_services.disputes_expire(now=timezone.now() + timedelta(days=29)) == 0
    assert marketplace_services.disputes_expire(now=timezone.now() + timedelta(days=31)) == 1

    dispute.refresh_from_db()
    work.refresh_from_db()
    assert dispute.status == "released" and dispute.resolved_by is None
    assert work.status == "published"  # the block is lifted
    assert _pending(creator) == 800 and _escrow() == 0


def test_monetize_sends_future_revenue_to_the_claimant(claimed_setting):
    hoshi, creator, work, studio_owner = claimed_setting
    _claim(hoshi, work, studio_owner, policy="monetize")

    _tip(work, 1)

    assert _pending(hoshi.owner_organization) == 900
    assert _pending(creator) == 0


def test_block_hides_the_work_from_everyone_but_its_creator(claimed_setting, client, api_client):
    hoshi, creator, work, studio_owner = claimed_setting
    _claim(hoshi, work, studio_owner, policy="block")
    stranger = UserFactory()

    feed, _ = marketplace_selectors.feed_page()
    assert work not in feed
    assert marketplace_selectors.work_visible_to(pk=work.pk, user=stranger) is None
    assert marketplace_selectors.work_visible_to(pk=work.pk, user=creator) == work
    assert api_client.get(f"/api/v1/works/{work.pk}/").status_code == 404
    assert str(work.pk) not in json.dumps(api_client.get("/api/v1/feed/").json())
    client.force_login(creator)
    assert client.get(reverse("marketplace:work_detail", args=[work.pk])).status_code == 200


def test_a_claim_on_a_character_the_organization_does_not_own_is_refused(claimed_setting):
    hoshi, _, work, _ = claimed_setting
    other_studio_member = MembershipFactory(organization__verification_status="verified").user

    with pytest.raises(NotPermitted):
        _claim(hoshi, work, other_studio_member)
    assert not Claim.objects.exists()


def test_a_repeated_claim_is_refused(claimed_setting):
    hoshi, _, work, studio_owner = claimed_setting
    _claim(hoshi, work, studio_owner)

    with pytest.raises(DomainError, match="already been claimed"):
        _claim(hoshi, work, studio_owner)
    assert Claim.objects.count() == 1


def test_only_the_creator_disputes_and_only_within_30_days(claimed_setting):
    hoshi, creator, work, studio_owner = claimed_setting
    claim = _claim(hoshi, work, studio_owner)

    with pytest.raises(NotPermitted):
        marketplace_services.dispute_open(claim=claim, by=UserFactory(), reason="me too")
    Claim.objects.filter(pk=claim.pk).update(created_at=timezone.now() - timedelta(days=31))
    with pytest.raises(DomainError, match="within 30 days"):
        marketplace_services.dispute_open(claim=claim, by=creator, reason="late")


def test_claims_released_on_dispute_are_counted_in_the_admin(claimed_setting, staff_client, staff):
    hoshi, creator, work, studio_owner = claimed_setting
    claim = _claim(hoshi, work, studio_owner)
    marketplace_services.dispute_open(claim=claim, by=creator, reason="wrong")
    marketplace_services.dispute_resolve(dispute=claim.dispute, by=studio_owner, uphold=False)

    html = staff_client.get(reverse("admin:accounts_organization_changelist")).content.decode()

    assert "Claims released on dispute" in html
    assert 'class="field-released_on_dispute">1<' in html


@pytest.mark.parametrize(
    "policy,expected", [("keep", "published"), ("delist", "delisted"), ("delete", "deleted")]
)
def test_an_ended_offer_applies_on_revoke_after_its_grace_period(policy, expected):
    # given: a published work under a grant whose offer ends with 7 days' grace
    hoshi = CharacterFactory()
    creator = UserFactory()
    grant = grant_for(hoshi, creator, on_revoke=policy, grace_days=7)
    work = WorkFactory(creator=creator, grants=[grant])
    services.offer_end(offer=grant.offer, by=editor_of(hoshi))

    # then: new grants stop at once
    with pytest.raises(DomainError, match="no longer available"):
        services.grant_accept(
            offer=grant.offer,
            by=UserFactory(),
            max_fee=0,
            max_rev_share_bps=0,
            max_generation_fee=0,
        )
    # and: nothing happens during the grace period
    assert services.grants_revoke_due(now=timezone.now() + timedelta(days=6)) == 0
    work.refresh_from_db()
    assert work.status == "published"
    # and: after it, the grant is revoked and the work follows on_revoke (once)
    assert services.grants_revoke_due(now=timezone.now() + timedelta(days=8)) == 1
    assert services.grants_revoke_due(now=timezone.now() + timedelta(days=9)) == 0
    grant.refresh_from_db()
    work.refresh_from_db()
    assert grant.status == "revoked"
    assert work.status == expected
    assert creator.notifications.filter(kind="grant.ended").exists()


def test_a_creator_ending_their_grant_stops_generation_and_applies_on_revoke():
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = grant_for(hoshi, creator, on_revoke="delist")
    work = WorkFactory(creator=creator, grants=[grant])

    services.grant_end_by_licensee(grant=grant, by=creator)

    decision, _ = services.policy_screen(
        creator=creator, prompt="Hoshi-chan waves", character_ids=[hoshi.pk]
    )
    work.refresh_from_db()
    assert not decision.allowed and decision.reasons[0].code == "unlicensed_character"
    assert work.status == "delisted"


def test_ending_an_offer_also_ends_grants_on_its_older_versions():
    # given: one creator on v1, another on v2 of the same offer
    hoshi = CharacterFactory()
    early, late = UserFactory(), UserFactory()
    v1_grant = grant_for(hoshi, early, grace_days=0)
    by = editor_of(hoshi)
    v2 = services.offer_new_version(offer=v1_grant.offer, by=by)
    services.offer_update_draft(
        offer=v2, by=by, terms={**v1_grant.offer.terms, "rev_share_bps": 100}
    )
    services.offer_publish(offer=v2, by=by)
    v2_grant = services.grant_accept(
        offer=v2, by=late, max_fee=0, max_rev_share_bps=100, max_generation_fee=0
    )

    # when
    services.offer_end(offer=v2, by=by)
    services.grants_revoke_due(now=timezone.now() + timedelta(minutes=1))

    # then
    v1_grant.refresh_from_db()
    v2_grant.refresh_from_db()
    assert (v1_grant.status, v2_grant.status) == ("revoked", "revoked")
