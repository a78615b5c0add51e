import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from licensing import services
from licensing.models import PolicyDecision
from licensing.policy import registry
from tests.factories import CharacterFactory, UserFactory, editor_of, grant_for

pytestmark = pytest.mark.django_db


def test_a_newly_disallowed_character_is_refused_on_the_next_screen(
    django_capture_on_commit_callbacks,
):
    character = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant_for(character, creator)
    first, _ = services.policy_screen(
        creator=creator, prompt="Hoshi-chan sings", character_ids=[character.pk]
    )
    assert first.allowed
    version = registry.registry_version()

    # when: the rightsholder disallows it (the version moves when the change commits)
    with django_capture_on_commit_callbacks(execute=True):
        services.character_update(character=character, by=editor_of(character), disallowed=True)

    # then: this process rebuilds its registry and refuses, even with the grant
    assert registry.registry_version() > version
    second, _ = services.policy_screen(
        creator=creator, prompt="ほしちゃん? No: Hoshi-chan", character_ids=[]
    )
    assert not second.allowed
    assert second.reasons[0].code == "disallowed_character"
    assert registry.get_registry().version == registry.registry_version()


def test_a_character_registered_after_the_registry_was_built_is_screened(
    django_capture_on_commit_callbacks,
):
    creator = UserFactory()
    services.policy_screen(creator=creator, prompt="warm-up", character_ids=[])
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = CharacterFactory(name="Placeholder")
        services.character_aliases_set(
            character=newcomer, by=editor_of(newcomer), aliases=["星野ルカ"]
        )

    decision, _ = services.policy_screen(creator=creator, prompt="星野るかが踊る", character_ids=[])

    assert not decision.allowed
    assert decision.reasons[0].character_name == "Placeholder"


def test_exact_case_alias_does_not_block_ordinary_words(django_capture_on_commit_callbacks):
    creator = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        hero = CharacterFactory(name="Hero of Time")
        services.character_aliases_set(
            character=hero, by=editor_of(hero), aliases=[("Link", "exact_case")]
        )

    harmless, _ = services.policy_screen(
        creator=creator, prompt="a link to my site", character_ids=[]
    )
    named, _ = services.policy_screen(
        creator=creator, prompt="Link draws a sword", character_ids=[]
    )

    assert harmless.allowed
    assert not named.allowed and named.reasons[0].character_name == "Hero of Time"


def test_every_decision_is_recorded_with_its_inputs():
    creator = UserFactory()
    character = CharacterFactory()
    grant = grant_for(character, creator)

    decision, record = services.policy_screen(
        creator=creator, prompt="a calm walk", character_ids=[character.pk], territory="jp"
    )

    assert record.allowed == decision.allowed
    assert record.engine_version == decision.engine_version
    assert record.context["territory"] == "JP"
    assert len(record.inputs_hash) == 64
    assert list(record.characters.all()) == [character]
    assert list(record.grants.all()) == [grant]


@pytest.mark.postgresql
def test_the_decision_log_is_append_only_in_the_database():
    _, record = services.policy_screen(creator=UserFactory(), prompt="hello", character_ids=[])

    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyDecision.objects.filter(pk=record.pk).update(allowed=not record.allowed)
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyDecision.objects.filter(pk=record.pk).delete()


def test_screen_prompt_command_prints_the_same_decision_as_the_api(api_client):
    character = CharacterFactory(name="Kuro Neko")
    creator = UserFactory()
    api_client.force_authenticate(creator)
    api = api_client.post("/api/v1/screen/", {"prompt": "Kuro Neko naps"}, format="json").json()

    out = StringIO()
    call_command("screen_prompt", "Kuro Neko naps", "--as", creator.email, "--json", stdout=out)
    printed = json.loads(out.getvalue())

    assert {k: v for k, v in printed.items() if k != "id"} == {
        k: v for k, v in api.items() if k != "id"
    }
    assert printed["reasons"][0]["character_id"] == str(character.pk)
