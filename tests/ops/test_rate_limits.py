"""Per-user limits on generation and screening: 429 with Retry-After and a readable
reason, on the web and the API alike, on one shared counter per action."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from marketplace.models import GenerationRequest
from tests.factories import CharacterFactory, UserFactory, grant_for

pytestmark = pytest.mark.django_db

STUDIO = reverse("marketplace:studio")
CHECK = reverse("marketplace:studio_check")
API_GENERATE = "/api/v1/generations/"
API_SCREEN = "/api/v1/screen/"


@pytest.fixture
def low_limits(settings):
    settings.RATE_LIMITS = {"generate": "2/h", "screen": "3/m", "token": "1000/m"}


@pytest.fixture
def creator():
    creator = UserFactory()
    grant_for(CharacterFactory(name="Hoshi-chan"), creator)
    return creator


def _studio_body(creator) -> dict:
    character = creator.grants.get().offer.character
    return {
        "prompt": "Hoshi-chan dances in a neon rain",
        "characters": [str(character.pk)],
        "duration_s": 5,
        "rating": "all_ages",
    }


def _api_body(creator) -> dict:
    character = creator.grants.get().offer.character
    return {"prompt": "Hoshi-chan dances", "character_ids": [str(character.pk)], "duration_s": 5}


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _web(user) -> Client:
    web = Client()
    web.force_login(user)
    return web


def test_api_generation_over_the_limit_is_429_with_retry_after_and_a_readable_reason(
    low_limits, creator
):
    # given: two generations in the hour, the limit
    api = _api(creator)
    for _ in range(2):
        assert api.post(API_GENERATE, _api_body(creator), format="json").status_code == 202

    # when: a third
    response = api.post(API_GENERATE, _api_body(creator), format="json")

    # then: refused in the error shape, with the wait, and nothing was created
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    body = response.json()
    assert body["code"] == "throttled"
    assert body["detail"].startswith("You have made 2 generation requests in the last hour;")
    assert "try again in 60 minutes" in body["detail"]
    assert GenerationRequest.objects.count() == 2


def test_the_limit_is_per_user(low_limits, creator):
    # given: one creator has spent the budget
    api = _api(creator)
    for _ in range(2):
        api.post(API_GENERATE, _api_body(creator), format="json")
    assert api.post(API_GENERATE, _api_body(creator), format="json").status_code == 429

    # when: another creator generates
    other = UserFactory()
    grant_for(creator.grants.get().offer.character, other)
    response = _api(other).post(API_GENERATE, _api_body(other), format="json")

    # then: they are not affected
    assert response.status_code == 202


def test_the_studio_and_the_api_share_one_generation_budget(low_limits, creator):
    # given: two generations from the studio
    web = _web(creator)
    for _ in range(2):
        assert web.post(STUDIO, _studio_body(creator)).status_code == 302

    # then: the API refuses the third
    api_response = _api(creator).post(API_GENERATE, _api_body(creator), format="json")
    assert api_response.status_code == 429

    # and: the studio refuses too, with a page saying why and when to come back
    page = web.post(STUDIO, _studio_body(creator))
    assert page.status_code == 429
    assert 0 < int(page["Retry-After"]) <= 3600
    html = page.content.decode()
    assert "You have made 2 generation requests in the last hour; try again in" in html
    assert GenerationRequest.objects.count() == 2


def test_the_budget_comes_back_when_the_window_has_passed(low_limits, creator):
    api = _api(creator)
    with time_machine.travel("2026-11-02 10:00:00+00:00", tick=False) as traveller:
        for _ in range(2):
            api.post(API_GENERATE, _api_body(creator), format="json")
        refused = api.post(API_GENERATE, _api_body(creator), format="json")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "3600"

        # when: the first request is an hour old (less a second): still refused
        traveller.shift(3599)
        assert api.post(API_GENERATE, _api_body(creator), format="json").status_code == 429

        # when: the window has passed for the oldest request
        traveller.shift(1)
        response = api.post(API_GENERATE, _api_body(creator), format="json")

    # then
    assert response.status_code == 202


def test_studio_get_is_not_counted(low_limits, creator):
    web = _web(creator)
    for _ in range(5):
        assert web.get(STUDIO).status_code == 200

    assert web.post(STUDIO, _studio_body(creator)).status_code == 302


def test_check_terms_over_the_limit_shows_the_reason_in_place(low_limits, creator):
    # given: three checks in the minute, the limit (web and API together)
    web = _web(creator)
    headers = {"HTTP_HX_REQUEST": "true"}
    assert web.post(CHECK, _studio_body(creator), **headers).status_code == 200
    api = _api(creator)
    screen = {"prompt": "Hoshi-chan", "character_ids": _api_body(creator)["character_ids"]}
    assert api.post(API_SCREEN, screen, format="json").status_code == 200
    assert web.post(CHECK, _studio_body(creator), **headers).status_code == 200

    # when: a fourth, from the studio
    response = web.post(CHECK, _studio_body(creator), **headers)

    # then: a 429 fragment (htmx swaps it into the result box) with the reason
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    html = response.content.decode()
    assert "<html" not in html
    assert "You have made 3 term checks in the last minute; try again in" in html

    # and: the API refuses too
    refused = api.post(API_SCREEN, screen, format="json")
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
