"""End to end through a real worker: a creator without a licence cannot get a disguised
name generated through the API, the studio or a remix; a licensed one can; an innocent
near-miss publishes. The registry is built by the worker process from the committed
names and their derived forms."""
# Look-alike letters are the subject of these tests.

import pytest
from django.urls import reverse

from licensing import services as licensing_services
from marketplace.models import GenerationRequest, Work
from tests.builders import verified_studio
from tests.factories import UserFactory, WorkFactory, grant_for, proven_likeness
from tests.marketplace.conftest import wait_for, with_image

REMIX = {"allowed_actions": ["generate", "remix", "publish"], "commercial_use": True}


@pytest.fixture
def world(pipeline):
    organization, (editor,) = verified_studio()
    nami = licensing_services.character_create(
        by=editor, name="Captain Nami", owner_organization=organization, aliases=["Nami"]
    )
    ren = licensing_services.character_create(
        by=editor, name="月影レン", owner_organization=organization
    )
    hoshi = with_image(
        licensing_services.character_create(
            by=editor, name="Hoshi-chan", owner_organization=organization
        )
    )
    aiko = proven_likeness(UserFactory(), "Aiko Tanaka")
    creator = UserFactory()
    grant = grant_for(hoshi, creator, **REMIX)
    return {
        "nami": nami,
        "ren": ren,
        "hoshi": hoshi,
        "aiko": aiko,
        "creator": creator,
        "grant": grant,
    }


def _post(api_client, user, **body) -> GenerationRequest:
    api_client.force_authenticate(user)
    response = api_client.post("/api/v1/generations/", {"duration_s": 4, **body}, format="json")
    assert response.status_code == 202, response.json()
    return wait_for(response.json()["id"])


@pytest.mark.parametrize(
    ("prompt", "who"),
    [
        ("Hoshi-chan meets C4pt41n N4m1", "nami"),
        ("Hoshi-chan meets Сaptain Nami", "nami"),
        ("Hoshi-chan meets CaptainNami", "nami"),
        ("Hoshi-chan meets C a p t a i n N a m i", "nami"),
        ("Hoshi-chan meets tsukikageren", "ren"),
        ("Hoshi-chan meets Tanaka Aiko", "aiko"),
    ],
)
def test_a_disguised_name_is_refused_through_the_api(world, api_client, prompt, who):
    request = _post(
        api_client, world["creator"], prompt=prompt, character_ids=[str(world["hoshi"].pk)]
    )

    assert request.status == "refused"
    refusal = next(r for r in request.reasons if r["character_id"] == str(world[who].pk))
    assert refusal["code"] == "unlicensed_character"
    assert refusal["matched_as"].startswith("matched as '")
    assert not Work.objects.filter(request=request).exists()


def test_a_disguised_name_of_the_creators_own_licence_is_published(world, api_client):
    request = _post(
        api_client,
        world["creator"],
        prompt="H.o.s.h.i-chan dances on the pier",
        character_ids=[str(world["hoshi"].pk)],
    )

    assert request.status == "published", request.reason


def test_innocent_near_misses_are_published(world, api_client):
    request = _post(
        api_client,
        world["creator"],
        prompt="Hoshi-chan plans a trip to Namibia with a pipette and a captain's hat",
        character_ids=[str(world["hoshi"].pk)],
    )

    assert request.status == "published", request.reason


def test_a_disguised_name_is_refused_through_the_studio(world, client):
    client.force_login(world["creator"])

    response = client.post(
        reverse("marketplace:studio"),
        {
            "prompt": "Hoshi-chan and H0sh1 meet Nаmi",  # a Cyrillic а
            "characters": [str(world["hoshi"].pk)],
            "duration_s": 4,
            "territory": "",
            "rating": "all_ages",
        },
    )

    assert response.status_code == 302, response.content[:500]
    request = wait_for(GenerationRequest.objects.get(creator=world["creator"]).pk)
    assert request.status == "refused"
    assert "Captain Nami" in request.reason and "matched as 'nаmi'" in request.reason


def test_a_disguised_name_is_refused_in_a_remix(world, api_client):
    parent = WorkFactory(creator=world["creator"], grants=[world["grant"]])

    request = _post(
        api_client,
        world["creator"],
        prompt="the same pier, now with N4m1",
        parent_work_id=str(parent.pk),
    )

    assert request.status == "refused"
    assert any(r["character_id"] == str(world["nami"].pk) for r in request.reasons)
