"""Lookalikes through the policy service and ``POST /api/v1/screen/``: found by meaning,
judged by the engine with the character's facts, and recorded in the decision."""

import pytest

from licensing import services
from licensing.models import PolicyDecision
from tests.factories import CharacterFactory, UserFactory, grant_for

pytestmark = pytest.mark.django_db

DASH = (
    "A blue anthropomorphic hedgehog with spiky quills and green eyes who runs at "
    "supersonic speed in red sneakers with white straps, collecting golden rings."
)
PROMPT = "Hoshi-chan races the blue hedgehog who runs fast in red sneakers"


@pytest.fixture
def world():
    dash = CharacterFactory(name="Azure Dash", description=DASH, lookalike_action="refuse")
    hoshi = CharacterFactory(name="Hoshi-chan", description="A small glowing star girl.")
    services.character_embeddings_refresh(character_ids=[dash.pk, hoshi.pk])
    creator = UserFactory()
    grant_for(hoshi, creator)
    return dash, hoshi, creator


def test_a_described_character_is_refused_and_recorded_with_its_score(world):
    dash, hoshi, creator = world

    decision, record = services.policy_screen(
        creator=creator, prompt=PROMPT, character_ids=[hoshi.pk]
    )

    assert not decision.allowed
    assert [(r.code, r.character_id) for r in decision.reasons] == [("lookalike", str(dash.pk))]
    (match,) = record.context["lookalikes"]
    assert match["character_id"] == str(dash.pk) and match["score"] >= 0.5
    assert record.context["mentions"] == [str(hoshi.pk)]  # by name: the name stage
    assert set(record.characters.values_list("name", flat=True)) == {"Hoshi-chan", "Azure Dash"}


def test_a_character_the_request_asks_for_is_not_its_own_lookalike(world):
    dash, hoshi, creator = world
    grant_for(dash, creator)

    decision, record = services.policy_screen(
        creator=creator, prompt=PROMPT, character_ids=[hoshi.pk, dash.pk]
    )

    assert decision.allowed and decision.reasons == ()
    assert record.context["lookalikes"] == []


def test_the_screen_api_says_the_prompt_describes_the_character(world, api_client):
    dash, hoshi, creator = world
    dash.lookalike_action = "review"
    dash.save(update_fields=["lookalike_action"])
    api_client.force_authenticate(creator)

    body = api_client.post(
        "/api/v1/screen/", {"prompt": PROMPT, "character_ids": [str(hoshi.pk)]}, format="json"
    ).json()

    assert body["allowed"] and body["needs_review"]
    (reason,) = body["reasons"]
    assert reason["code"] == "lookalike_needs_review"
    assert reason["character_name"] == "Azure Dash"
    assert reason["message"].startswith("The prompt describes Azure Dash (a blue")
    assert PolicyDecision.objects.get().context["lookalikes"][0]["character_id"] == str(dash.pk)
