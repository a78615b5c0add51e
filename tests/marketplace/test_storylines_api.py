"""The storylines API: open storylines (anyone), a new one (its characters' rightsholder
only) and a storyline's ranked takes (anyone); a take through POST /generations/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace import selectors_storylines as storyline_selectors
from marketplace.api.examples import TAKE
from marketplace.models import GenerationRequest, Storyline
from tests.builders import storyline_opened
from tests.factories import (
    CharacterFactory,
    GrantFactory,
    OfferFactory,
    UserFactory,
    WorkFactory,
    editor_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hoshi():
    return CharacterFactory(name="Hoshi-chan")


@pytest.fixture
def offer(hoshi):
    return OfferFactory(character=hoshi, allowed_actions=["generate", "remix", "publish"])


def _body(hoshi, offer, **extra):
    now = timezone.now()
    return {
        "title": "Lanterns",
        "premise": "Hoshi-chan lights the lanterns.",
        "cast": [{"character_id": str(hoshi.pk), "offer_id": str(offer.pk)}],
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(days=7)).isoformat(),
        "max_take_s": 6,
        **extra,
    }


def test_anyone_lists_the_open_storylines(api_client, hoshi, offer):
    # given
    storyline_opened(hoshi, offer=offer)

    # when
    response = api_client.get("/api/v1/storylines/")

    # then
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["title"] == "The night the stars fell"
    assert item["cast"][0]["character_name"] == "Hoshi-chan"


def test_the_rightsholder_opens_one(api_client, hoshi, offer):
    # given
    api_client.force_authenticate(editor_of(hoshi))

    # when
    response = api_client.post("/api/v1/storylines/", _body(hoshi, offer), format="json")

    # then
    assert response.status_code == 201, response.json()
    assert response.json()["max_take_s"] == 6
    assert Storyline.objects.get().title == "Lanterns"


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("stranger", 403)])
def test_nobody_else_opens_one_of_their_characters(api_client, hoshi, offer, who, status):
    # given
    if who == "stranger":
        api_client.force_authenticate(UserFactory())

    # when
    response = api_client.post("/api/v1/storylines/", _body(hoshi, offer), format="json")

    # then
    assert response.status_code == status
    assert not Storyline.objects.exists()


def test_bad_input_is_a_400_naming_the_field(api_client, hoshi, offer):
    # given
    api_client.force_authenticate(editor_of(hoshi))
    other = OfferFactory(character=CharacterFactory(owner_organization=hoshi.owner_organization))

    # when
    backwards = api_client.post(
        "/api/v1/storylines/",
        _body(hoshi, offer, ends_at=(timezone.now() - timedelta(days=1)).isoformat()),
        format="json",
    )
    mismatched = api_client.post(
        "/api/v1/storylines/",
        _body(hoshi, offer, cast=[{"character_id": str(hoshi.pk), "offer_id": str(other.pk)}]),
        format="json",
    )

    # then
    assert backwards.status_code == 400 and backwards.json()["field"] == "ends_at"
    assert mismatched.status_code == 400 and mismatched.json()["field"] == "cast"
    assert not Storyline.objects.exists()


def test_takes_come_ranked_with_their_scores_parts(
    api_client, hoshi, offer, django_assert_max_num_queries
):
    # given
    storyline = storyline_opened(hoshi, offer=offer)
    now = timezone.now()
    for i in range(3):
        WorkFactory(title=f"Take {i}", storyline=storyline, published_at=now - timedelta(hours=i))

    # when
    with django_assert_max_num_queries(8):
        response = api_client.get(f"/api/v1/storylines/{storyline.pk}/takes/")

    # then
    assert response.status_code == 200
    takes = response.json()["results"]
    assert [t["title"] for t in takes] == ["Take 0", "Take 1", "Take 2"]
    assert set(takes[0]["rank"]) == {"likes", "remixes", "age_hours", "featured", "score"}
    assert response.json()["next"] is None
    assert (
        api_client.get("/api/v1/storylines/00000000-0000-4000-8000-000000000000/takes/").status_code
        == 404
    )


def test_takes_come_in_pages_in_rank_order_in_two_queries_uncached(
    api_client, hoshi, offer, django_assert_num_queries
):
    # given: 30 takes, the oldest featured, one liked (the like moves its counter)
    from marketplace import services

    owner = editor_of(hoshi)
    storyline = storyline_opened(hoshi, offer=offer, by=owner)
    now = timezone.now()
    takes = [
        WorkFactory(title=f"Take {i}", storyline=storyline, published_at=now - timedelta(hours=i))
        for i in range(30)
    ]
    services.storyline_take_feature(storyline=storyline, work=takes[29], by=owner)
    services.like_work(work=takes[5], user=UserFactory())
    url = f"/api/v1/storylines/{storyline.pk}/takes/"

    # when: the ranking's parts (not cached yet), then the page's cards: the same for any
    # page size
    with django_assert_num_queries(2):
        first = api_client.get(url).json()
    second = api_client.get(url, {"page": first["next"]}).json()

    # then: the selector's order (the pages' server-side twin), split 24 + 6
    ranked = [w.title for w in storyline_selectors.storyline_takes_ranked(storyline=storyline)]
    titles = [t["title"] for t in first["results"] + second["results"]]
    assert titles == ranked
    assert (len(first["results"]), first["next"], len(second["results"])) == (24, 2, 6)
    assert second["next"] is None
    assert titles[0] == "Take 29" and first["results"][0]["rank"]["featured"] is True
    liked = next(t for t in first["results"] if t["title"] == "Take 5")
    assert liked["rank"]["likes"] == 1
    assert list(first["results"][0]) == list(TAKE)  # the documented shape, in its order


@pytest.mark.parametrize("page", ["0", "-1", "x", "10", "1.5", "99999999999999999999"])
def test_a_takes_page_that_cannot_exist_is_a_400_naming_the_parameter(
    api_client, hoshi, offer, page
):
    storyline = storyline_opened(hoshi, offer=offer)

    response = api_client.get(f"/api/v1/storylines/{storyline.pk}/takes/", {"page": page})

    assert response.status_code == 400
    assert response.json()["field"] == "page"


def test_a_take_through_the_generations_api_keeps_the_rules(api_client, hoshi, offer):
    # given: a closed storyline
    storyline = storyline_opened(hoshi, offer=offer)
    creator = UserFactory()
    GrantFactory(offer=offer, licensee=creator)
    api_client.force_authenticate(creator)
    body = {
        "prompt": "Hoshi-chan lights a lantern",
        "character_ids": [str(hoshi.pk)],
        "duration_s": 4,
        "storyline_id": str(storyline.pk),
    }

    # when
    accepted = api_client.post("/api/v1/generations/", body, format="json")
    storyline.status = "closed"
    storyline.save()
    refused = api_client.post("/api/v1/generations/", body, format="json")

    # then
    assert accepted.status_code == 202, accepted.json()
    assert GenerationRequest.objects.get(pk=accepted.json()["id"]).storyline == storyline
    assert accepted.json()["storyline"] == str(storyline.pk)
    status = api_client.get(f"/api/v1/generations/{accepted.json()['id']}/").json()
    assert status["storyline"] == str(storyline.pk)
    assert refused.status_code == 400
    assert refused.json()["code"] == "storyline_closed"
