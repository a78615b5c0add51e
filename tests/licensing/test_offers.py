import pytest
from django.db import IntegrityError, transaction

from core.errors import DomainError
from licensing import services
from licensing.models import Offer
from licensing.terms import Terms
from tests.factories import CharacterFactory, OrganizationFactory, editor_of, publish_offer

pytestmark = pytest.mark.django_db


def test_publishing_freezes_a_version_keyed_by_the_terms_hash():
    character = CharacterFactory()
    by = editor_of(character)
    draft = services.offer_create_draft(
        character=character, by=by, terms={"credit_text": "Hoshi", "rev_share_bps": 1500}
    )

    offer = services.offer_publish(offer=draft, by=by)

    assert offer.status == "published"
    assert offer.version == 1
    assert offer.terms_hash == Terms.from_dict(offer.terms).content_hash()
    assert len(offer.terms_hash) == 64


def test_the_same_terms_always_hash_the_same():
    a = Terms(credit_text="X", territories=("JP", "FR"), banned_words=("b", "a"))
    b = Terms(credit_text="X", territories=("FR", "JP"), banned_words=("a", "b"))

    assert a.content_hash() == b.content_hash()
    assert a.content_hash() != a.replace(rev_share_bps=1).content_hash()


def test_a_published_version_cannot_be_edited_through_the_service():
    offer = publish_offer(CharacterFactory())

    with pytest.raises(DomainError) as error:
        services.offer_update_draft(
            offer=offer, by=editor_of(offer.character), terms={"credit_text": "changed"}
        )

    assert error.value.code == "immutable"
    offer.refresh_from_db()
    assert offer.parsed_terms.credit_text != "changed"


@pytest.mark.postgresql
def test_the_database_refuses_to_change_published_terms():
    offer = publish_offer(CharacterFactory())

    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(terms={**offer.terms, "rev_share_bps": 9_000})


def test_editing_a_published_offer_creates_a_new_draft_version_and_publishing_supersedes():
    offer = publish_offer(CharacterFactory(), rev_share_bps=1_000)
    by = editor_of(offer.character)

    draft = services.offer_new_version(offer=offer, by=by)
    again = services.offer_new_version(offer=offer, by=by)
    services.offer_update_draft(offer=draft, by=by, terms={**offer.terms, "rev_share_bps": 2_000})
    services.offer_publish(offer=draft, by=by)

    assert again.pk == draft.pk
    versions = {o.version: o.status for o in Offer.objects.filter(series=offer.series)}
    assert versions == {1: "superseded", 2: "published"}
    offer.refresh_from_db()
    assert offer.parsed_terms.rev_share_bps == 1_000


def test_an_unverified_organization_cannot_publish():
    character = CharacterFactory(
        owner_organization=OrganizationFactory(verification_status="pending")
    )
    by = editor_of(character)
    draft = services.offer_create_draft(character=character, by=by, terms={"credit_text": "x"})

    with pytest.raises(DomainError) as error:
        services.offer_publish(offer=draft, by=by)
    assert error.value.code == "organization_unverified"


def test_contradictory_terms_are_refused_field_by_field():
    character = CharacterFactory()

    with pytest.raises(services.TermsInvalid) as error:
        services.offer_create_draft(
            character=character,
            by=editor_of(character),
            terms={
                "rev_share_bps": 12_000,
                "remix_policy": "same_terms",
                "allowed_actions": ["generate"],
                "starts_at": "2026-05-01T00:00:00Z",
                "ends_at": "2026-04-01T00:00:00Z",
                "territories": ["JP", "ZZ"],
                "credit_text": "x",
            },
        )

    assert set(error.value.errors) == {"rev_share_bps", "remix_policy", "ends_at", "territories"}
    assert "ZZ" in error.value.errors["territories"][0]
    assert not Offer.objects.exists()
