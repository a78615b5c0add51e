"""Bad input and missing services never answer 5xx: control characters in query
parameters, JSON nested too deep for the parser, prices past any offer's, and Redis out
of reach (rate limits fail closed with 503 + Retry-After; /healthz/ names what is down)."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.parsers import MAX_JSON_DEPTH, json_depth_exceeds
from tests.factories import PASSWORD, CharacterFactory, OfferFactory, UserFactory, grant_for

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


# --- amounts no price can reach ---------------------------------------------------------------
# A database bigint ends at 2**63 - 1: a larger stated maximum used to reach it (a 500).


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("max_fee", 2**63, "max_value"),
        ("max_fee", 2**64, "max_value"),
        ("max_fee", 100_000_001, "max_value"),
        ("max_fee", -1, "min_value"),
        ("max_generation_fee", 2**63, "max_value"),
        ("max_generation_fee", 10**30, "max_value"),
        ("max_generation_fee", 10_000_001, "max_value"),
        ("max_generation_fee", -1, "min_value"),
        ("max_generation_fee", -(2**63) - 1, "min_value"),
        ("max_rev_share_bps", 2**63, "max_value"),
    ],
)
def test_an_accepted_price_past_any_offers_is_a_400_naming_it(field, value, code):
    creator = UserFactory()
    offer = OfferFactory()
    api = APIClient()
    api.force_authenticate(creator)
    body = {"max_fee": 0, "max_rev_share_bps": 0, "max_generation_fee": 0, field: value}

    response = api.post(f"/api/v1/offers/{offer.pk}/accept/", body, format="json")

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert not creator.grants.exists()


def test_the_largest_prices_an_offer_can_ask_are_accepted():
    api = APIClient()
    api.force_authenticate(UserFactory())
    offer = OfferFactory(per_generation_fee=10_000_000)
    body = {"max_fee": 100_000_000, "max_rev_share_bps": 10_000, "max_generation_fee": 10_000_000}

    response = api.post(f"/api/v1/offers/{offer.pk}/accept/", body, format="json")

    assert response.status_code == 201
    assert response.json()["max_generation_fee"] == 10_000_000


@pytest.mark.parametrize("field", ["max_fee", "max_generation_fee"])
@pytest.mark.parametrize("value", [str(2**63), "-1"])
def test_an_accepted_price_past_any_offers_on_the_web_is_refused_without_a_grant(
    client, field, value
):
    creator = UserFactory()
    offer = OfferFactory()
    client.force_login(creator)
    body = {"max_fee": "0", "max_rev_share_bps": "0", "max_generation_fee": "0", field: value}

    response = client.post(
        reverse("payments:offer_accept", args=[offer.character_id, offer.pk]), body, follow=True
    )

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "The acceptance was incomplete; please try again."
    ]
    assert not creator.grants.exists()


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


@pytest.mark.django_db(databases=["default", "replica"])
def test_healthz_is_503_naming_the_cache_when_redis_is_down(client, redis_down):
    response = client.get("/healthz/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {
        "status": "down",
        "database": "ok",
        "broker": "ok",
        "cache": "down",
        "replica": "ok",
    }


def test_healthz_is_503_naming_the_broker_when_it_is_out_of_reach(client, monkeypatch):
    # Celery reads this before its configuration, on every new connection.
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", UNREACHABLE_REDIS)

    response = client.get("/healthz/")

    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert response.json()["cache"] == "ok"
