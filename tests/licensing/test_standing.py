"""Names protect only when their owner is proven (issue 18 §1): a character of an
unverified organization, or a likeness without an approved consent video, is a draft
that only its owner sees and whose names screen no one's prompts; verification makes
it active, and losing it makes it a draft again."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from core.errors import DomainError
from licensing import services
from licensing.models import Character, CharacterEmbedding
from tests.builders import pending_studio
from tests.factories import CharacterFactory, UserFactory, grant_for, publish_offer

pytestmark = pytest.mark.django_db

SQUATTED_PROMPT = "Hoshi-chan walks under sakura trees in Tokyo"


@pytest.fixture
def squatter():
    """An organization nobody has verified registers "Sakura" with the alias "Tokyo"
    (the probe in issue 18)."""
    organization, owner = pending_studio(name="Squatters Inc")
    sakura = services.character_create(
        by=owner,
        name="Sakura",
        owner_organization=organization,
        aliases=["Tokyo"],
        description="A girl with pink hair and a school uniform.",
    )
    return organization, owner, sakura


@pytest.fixture
def licensed_creator():
    """A creator who holds a licence for Hoshi-chan, of a verified studio."""
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant_for(hoshi, creator)
    return creator, hoshi


def _screen(creator, hoshi):
    decision, _ = services.policy_screen(
        creator=creator, prompt=SQUATTED_PROMPT, character_ids=[str(hoshi.pk)]
    )
    return decision


def test_an_unverified_owners_names_do_not_refuse_another_creators_prompt(
    squatter, licensed_creator
):
    # given: the squatter's character, and a creator licensed for Hoshi-chan
    _, _, sakura = squatter
    creator, hoshi = licensed_creator

    # when: the creator's prompt uses both words as words
    decision = _screen(creator, hoshi)

    # then: the draft's names screen no one; the prompt passes
    assert sakura.status == "draft"
    assert decision.allowed, decision.reasons


def test_staff_verification_activates_the_characters_and_their_names_screen(
    squatter, licensed_creator, staff
):
    # given
    organization, _, sakura = squatter
    creator, hoshi = licensed_creator

    # when: staff verify the organization on its document
    accounts_services.organization_verify(organization=organization, by=staff)

    # then: Sakura is active, and the prompt now names a character it holds no licence for
    sakura.refresh_from_db()
    assert sakura.status == "active"
    decision = _screen(creator, hoshi)
    assert not decision.allowed
    assert {r.code for r in decision.refusals} == {"unlicensed_character"}
    assert {r.character_id for r in decision.refusals} == {str(sakura.pk)}


def test_a_rejected_organizations_characters_return_to_draft(squatter, staff):
    # given: verified, then rejected after a complaint
    organization, _, sakura = squatter
    accounts_services.organization_verify(organization=organization, by=staff)
    accounts_services.organization_reject(
        organization=organization, by=staff, note="The documents were forged."
    )

    # then
    sakura.refresh_from_db()
    assert sakura.status == "draft"


def test_a_draft_is_shown_only_to_its_owner(squatter, client):
    # given
    _, owner, sakura = squatter
    page = reverse("licensing:character_detail", kwargs={"pk": sakura.pk})

    # when: a stranger and the owner look
    client.force_login(UserFactory())
    stranger_page = client.get(page)
    stranger_catalog = client.get(reverse("licensing:catalog"), {"q": "Sakura"})
    stranger_api = client.get("/api/v1/characters/", {"q": "Sakura"})
    client.force_login(owner)
    owner_page = client.get(page)

    # then
    assert stranger_page.status_code == 404
    assert str(sakura.pk) not in stranger_catalog.content.decode()
    assert str(sakura.pk) not in stranger_api.content.decode()
    assert owner_page.status_code == 200
    assert "Sakura" in owner_page.content.decode()


def test_a_draft_cannot_publish_an_offer_and_says_why(squatter):
    # given
    _, owner, sakura = squatter

    # when
    with pytest.raises(DomainError) as refused:
        publish_offer(sakura, by=owner)

    # then: the organization's own refusal comes first; it names what is missing
    assert refused.value.code in {"organization_unverified", "character_draft"}
    assert "verified" in str(refused.value)


def test_an_owner_cannot_make_a_draft_active_by_hand(squatter):
    # given
    _, owner, sakura = squatter

    # when
    with pytest.raises(DomainError) as activate:
        services.character_update(character=sakura, by=owner, status="active")

    # then: the refusal names the reason; the character is still a draft
    assert activate.value.code == "invalid_state"
    assert "Squatters Inc is not verified yet" in str(activate.value)
    assert Character.objects.get(pk=sakura.pk).status == "draft"


def test_an_active_character_cannot_be_made_a_draft_by_hand():
    # given
    character = CharacterFactory()
    owner = character.owner_organization.memberships.create(user=UserFactory(), role="owner").user

    # when
    with pytest.raises(DomainError) as draft:
        services.character_update(character=character, by=owner, status="draft")

    # then
    assert draft.value.field == "status"
    assert Character.objects.get(pk=character.pk).status == "active"


def test_a_draft_description_is_not_in_the_lookalike_index(squatter, staff):
    # given: the draft's description, sent for embedding
    organization, _, sakura = squatter
    services.character_embeddings_refresh(character_ids=[sakura.pk])
    drafted = CharacterEmbedding.objects.filter(character=sakura).exists()

    # when: the owner is verified and the character embedded again
    accounts_services.organization_verify(organization=organization, by=staff)
    services.character_embeddings_refresh(character_ids=[sakura.pk])

    # then: only the active character is described to lookalike screening
    assert not drafted
    assert CharacterEmbedding.objects.filter(character=sakura).exists()


def test_a_registered_likeness_is_a_draft_until_its_consent_is_approved(
    django_capture_on_commit_callbacks,
):
    # given: a person registers their likeness, attesting it is them
    person = UserFactory()
    likeness = services.character_create(
        by=person, kind="likeness", name="Aiko Tanaka", likeness_attested=True
    )

    # then: a draft; it cannot be offered, and its name screens no one
    assert likeness.status == "draft"
    with pytest.raises(DomainError) as refused:
        publish_offer(likeness, by=person)
    assert refused.value.code == "character_draft"
    assert "consent video" in str(refused.value)
    decision, _ = services.policy_screen(
        creator=UserFactory(), prompt="Aiko Tanaka smiles", character_ids=[]
    )
    assert decision.allowed

    # when: staff approve the consent video
    with django_capture_on_commit_callbacks(execute=True):
        likeness.likeness_verified_at = timezone.now()
        likeness.save(update_fields=["likeness_verified_at"])
        likeness = services.character_standing_refresh(character=likeness)

    # then: active, and its name protects it
    assert likeness.status == "active"
    decision, _ = services.policy_screen(
        creator=UserFactory(), prompt="Aiko Tanaka smiles", character_ids=[]
    )
    assert not decision.allowed
