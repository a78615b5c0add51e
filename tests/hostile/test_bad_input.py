"""Bad input and missing services never answer 5xx: control characters in query
parameters, JSON nested too deep for the parser, and Redis out of reach (rate limits
fail closed with 503 + Retry-After; /healthz/ names what is down)."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.parsers import MAX_JSON_DEPTH, json_depth_exceeds
from tests.factories import PASSWORD, CharacterFactory, UserFactory, grant_for

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


# --- control characters in query parameters -------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("q=hoshi%00chan", "q"),
        ("franchise=%00", "franchise"),
        ("kind=character%1b", "kind"),
        ("q=ok&q=bad%7f", "q"),
        ("page=1%0d%0a", "page"),
    ],
)
def test_a_control_character_in_an_api_query_parameter_is_a_400_naming_it(api_client, query, field):
    response = api_client.get(f"/api/v1/characters/?{query}")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": f"'{field}' must not contain control characters.",
        "field": field,
    }


def test_a_control_character_in_a_query_parameter_name_is_a_400(api_client):
    response = api_client.get("/api/v1/characters/?q%00=x")

    assert response.status_code == 400
    assert response.json()["field"] == "q?"


def test_a_nul_in_a_page_query_parameter_is_a_400_page(client, user):
    client.force_login(user)

    catalog = client.get(reverse("licensing:catalog") + "?q=%00&franchise=x")
    checkout = client.get(reverse("payments:checkout_done") + "?session=cs_%00")

    assert catalog.status_code == 400
    assert "&#x27;q&#x27; must not contain control characters." in catalog.content.decode()
    assert checkout.status_code == 400
    assert "&#x27;session&#x27; must not contain control characters." in (checkout.content.decode())


def test_ordinary_unicode_in_a_query_parameter_is_searched(api_client):
    CharacterFactory(name="Hoshi-chan")

    response = api_client.get("/api/v1/characters/?q=ほし%20chan")

    assert response.status_code == 200


# --- deeply nested JSON -----------------------------------------------------------------------


def test_json_nested_past_the_limit_is_refused_at_the_token_endpoint_before_parsing():
    body = "[" * 100_000 + "]" * 100_000

    response = APIClient().post(TOKEN, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "detail": f"JSON nested deeper than {MAX_JSON_DEPTH} levels is not accepted.",
        "field": None,
    }


def test_deep_json_is_refused_on_an_authenticated_endpoint_too(user):
    api = APIClient()
    api.force_authenticate(user)
    body = '{"prompt": ' + '{"a": ' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 2)

    response = api.post("/api/v1/generations/", data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_json_at_the_limit_is_parsed_as_usual(user):
    # 64 levels: the serializer, not the parser, refuses it (email must be a string)
    body = '{"email": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"

    response = APIClient().post(TOKEN, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == "email"


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ('["' + "[" * 100 + '"]', False),  # brackets inside a string do not count
        ('["\\\\", ' + "[" * 70 + "]" * 70 + "]", True),  # an escaped backslash ends no string
        ('["\\"' + "[" * 70 + '"]', False),  # an escaped quote does not end the string
        ("[" * 64 + "]" * 64, False),
        ("[" * 65 + "]" * 65, True),
    ],
)
def test_json_depth_counts_only_structure(text, deep):
    assert json_depth_exceeds(text) is deep


# --- Redis out of reach -----------------------------------------------------------------------


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
        }
    }


def test_the_token_endpoint_answers_503_with_retry_after_while_redis_is_down(user, redis_down):
    response = APIClient().post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {
        "code": "unavailable",
        "detail": "The service that counts requests is not answering; try again shortly.",
        "field": None,
    }


def test_api_generation_and_screening_fail_closed_while_redis_is_down(redis_down):
    creator = UserFactory()
    character = CharacterFactory(name="Hoshi-chan")
    grant_for(character, creator)
    api = APIClient()
    api.force_authenticate(creator)

    generate = api.post(
        "/api/v1/generations/",
        {"prompt": "Hoshi-chan dances", "character_ids": [str(character.pk)], "duration_s": 5},
        format="json",
    )
    screen = api.post("/api/v1/screen/", {"prompt": "Hoshi-chan dances"}, format="json")

    assert (generate.status_code, generate["Retry-After"]) == (503, "30")
    assert generate.json()["code"] == "unavailable"
    assert (screen.status_code, screen["Retry-After"]) == (503, "30")
    # and: nothing was queued while the limit could not count
    assert not creator.generation_requests.exists()


def test_the_web_log_in_and_sign_up_answer_a_503_page_while_redis_is_down(user, redis_down):
    web = Client()
    login = web.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    signup = Client().post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a-long-unusual-passphrase-42",
            "password2": "a-long-unusual-passphrase-42",
        },
    )

    assert (login.status_code, login["Retry-After"]) == (503, "30")
    assert "not answering" in login.content.decode()
    assert "_auth_user_id" not in web.session
    assert (signup.status_code, signup["Retry-After"]) == (503, "30")
    assert not type(user).objects.filter(email="new@example.com").exists()


def test_the_studio_answers_503_page_while_redis_is_down(redis_down):
    creator = UserFactory()
    character = CharacterFactory(name="Hoshi-chan")
    grant_for(character, creator)
    web = Client()
    web.force_login(creator)

    response = web.post(
        reverse("marketplace:studio"),
        {
            "prompt": "Hoshi-chan dances in a neon rain",
            "characters": [str(character.pk)],
            "duration_s": 5,
            "rating": "all_ages",
        },
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "30"


# --- /healthz/ --------------------------------------------------------------------------------


def test_healthz_is_503_naming_the_cache_when_redis_is_down(client, redis_down):
    response = client.get("/healthz/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {
        "status": "down",
        "database": "ok",
        "broker": "ok",
        "cache": "down",
    }


def test_healthz_is_503_naming_the_broker_when_it_is_out_of_reach(client, monkeypatch):
    # Celery reads this before its configuration, on every new connection.
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", UNREACHABLE_REDIS)

    response = client.get("/healthz/")

    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert response.json()["cache"] == "ok"
