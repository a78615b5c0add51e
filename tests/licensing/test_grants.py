import threading

import pytest
from django.db import connection

from accounts import services as accounts_services
from core.errors import DomainError, NotPermitted
from licensing import services
from licensing.models import Grant, GrantEvent
from tests.factories import (
    CharacterFactory,
    UserFactory,
    editor_of,
    grant_for,
    proven_likeness,
    publish_offer,
)

pytestmark = pytest.mark.django_db


def test_free_public_offer_grants_at_once():
    creator = UserFactory()

    grant = grant_for(CharacterFactory(), creator)

    assert grant.status == "active"
    assert grant.activated_at is not None
    assert list(grant.events.values_list("from_status", "to_status")) == [("", "active")]


def test_offer_with_a_fee_waits_for_payment():
    grant = grant_for(CharacterFactory(), UserFactory(), upfront_fee=2_000)

    assert grant.status == "pending_payment"
    assert grant.activated_at is None


def test_per_licensee_approval_waits_for_the_licensor_who_approves():
    character = CharacterFactory()
    grant = grant_for(character, UserFactory(), approval="per_licensee")
    assert grant.status == "pending_approval"

    with pytest.raises(NotPermitted):
        services.grant_approve(grant=grant, by=UserFactory())
    grant = services.grant_approve(grant=grant, by=editor_of(character))

    assert grant.status == "active"
    assert [e.to_status for e in GrantEvent.objects.filter(grant=grant)] == [
        "pending_approval",
        "active",
    ]


def test_price_protection_refuses_a_costlier_version_published_in_between():
    character = CharacterFactory()
    by = editor_of(character)
    v1 = publish_offer(character, upfront_fee=0, rev_share_bps=1_000)
    # the creator read v1 ... and the licensor publishes a costlier v2
    v2 = services.offer_new_version(offer=v1, by=by)
    services.offer_update_draft(offer=v2, by=by, terms={**v1.terms, "rev_share_bps": 2_500})
    services.offer_publish(offer=v2, by=by)
    creator = UserFactory()

    with pytest.raises(services.PriceChanged) as error:
        services.grant_accept(
            offer=v1, by=creator, max_fee=0, max_rev_share_bps=1_000, max_generation_fee=0
        )

    assert error.value.field == "max_rev_share_bps"
    assert "25%" in error.value.detail
    assert not Grant.objects.filter(licensee=creator).exists()
    grant = services.grant_accept(
        offer=v1, by=creator, max_fee=0, max_rev_share_bps=2_500, max_generation_fee=0
    )
    assert grant.offer_id == v2.pk


def test_price_protection_on_the_upfront_fee():
    offer = publish_offer(CharacterFactory(), upfront_fee=5_000)

    with pytest.raises(services.PriceChanged) as error:
        services.grant_accept(
            offer=offer, by=UserFactory(), max_fee=4_999, max_rev_share_bps=0, max_generation_fee=0
        )
    assert error.value.field == "max_fee"


def test_accepting_twice_is_refused():
    character = CharacterFactory()
    creator = UserFactory()
    grant = grant_for(character, creator)

    with pytest.raises(DomainError) as error:
        services.grant_accept(
            offer=grant.offer, by=creator, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
        )
    assert error.value.code == "duplicate"


def test_licensee_cap_is_enforced():
    offer = publish_offer(CharacterFactory(), max_licensees=1)
    services.grant_accept(
        offer=offer, by=UserFactory(), max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )

    with pytest.raises(DomainError) as error:
        services.grant_accept(
            offer=offer, by=UserFactory(), max_fee=0, max_rev_share_bps=0, max_generation_fee=0
        )
    assert error.value.code == "cap_licensees"


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_creators_racing_for_the_last_slot_get_exactly_one_grant():
    offer = publish_offer(CharacterFactory(), max_licensees=1)
    racers = [UserFactory(), UserFactory()]
    barrier = threading.Barrier(len(racers))
    outcomes: list[str] = []

    def accept(user):
        try:
            barrier.wait(timeout=10)
            services.grant_accept(
                offer=offer, by=user, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
            )
            outcomes.append("granted")
        except DomainError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(user,)) for user in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["cap_licensees", "granted"]
    assert Grant.objects.filter(series=offer.series).count() == 1


@pytest.mark.parametrize(
    "audience,relation,allowed",
    [
        ("public", None, True),
        ("self", None, False),
        ("followers", None, False),
        ("followers", "follows", True),
        ("mutuals", "follows", False),
        ("mutuals", "mutual", True),
    ],
)
def test_audience_rules_at_acceptance(audience, relation, allowed):
    person = UserFactory()
    likeness = proven_likeness(person, "Aiko")
    offer = publish_offer(likeness, audience=audience)
    creator = UserFactory()
    if relation in ("follows", "mutual"):
        accounts_services.follow_create(follower=creator, followee=person)
    if relation == "mutual":
        accounts_services.follow_create(follower=person, followee=creator)

    if allowed:
        grant = services.grant_accept(
            offer=offer, by=creator, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
        )
        assert grant.status == "active"
    else:
        with pytest.raises(NotPermitted):
            services.grant_accept(
                offer=offer, by=creator, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
            )


def test_allowlisted_people_are_admitted_and_approved_audience_waits_for_approval():
    person = UserFactory()
    likeness = proven_likeness(person, "Aiko")
    friend, stranger = UserFactory(), UserFactory()
    offer = publish_offer(likeness, audience="approved", audience_allowlist=[str(friend.pk)])

    friend_grant = services.grant_accept(
        offer=offer, by=friend, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )
    stranger_grant = services.grant_accept(
        offer=offer, by=stranger, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )

    assert friend_grant.status == "active"
    assert stranger_grant.status == "pending_approval"
    rejected = services.grant_reject(grant=stranger_grant, by=person, reason="Not this time")
    assert rejected.status == "revoked" and rejected.end_reason == "Not this time"


def test_creator_ends_their_own_grant_and_nobody_else_can():
    creator = UserFactory()
    grant = grant_for(CharacterFactory(), creator)

    with pytest.raises(NotPermitted):
        services.grant_end(grant=grant, by=UserFactory())
    ended = services.grant_end(grant=grant, by=creator)

    assert ended.status == "ended" and ended.ended_at is not None
    with pytest.raises(DomainError) as error:
        services.grant_end(grant=ended, by=creator)
    assert error.value.code == "invalid_transition"


def test_a_disallowed_character_cannot_be_licensed():
    character = CharacterFactory()
    offer = publish_offer(character)
    services.character_update(character=character, by=editor_of(character), disallowed=True)

    with pytest.raises(DomainError):
        services.grant_accept(
            offer=offer, by=UserFactory(), max_fee=0, max_rev_share_bps=0, max_generation_fee=0
        )
