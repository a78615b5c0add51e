"""A confirmed email address is needed for an API token, and for accepting a licence
or generating in every channel: the web log-in asks for it (allauth's mandatory
verification), and the API, tokens issued before the rule and the services hold the
same line."""

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from licensing.models import Grant
from marketplace.models import GenerationRequest
from tests.factories import PASSWORD, CharacterFactory, UserFactory, grant_for, publish_offer

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def unverified():
    return UserFactory(verified=False)


def _with_old_token(user) -> APIClient:
    """A client carrying a token issued before tokens needed a confirmed email."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


def test_an_unconfirmed_email_gets_no_api_token_even_with_the_right_password(unverified):
    response = APIClient().post(
        TOKEN, {"email": unverified.email, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "code": "email_unverified",
        "detail": "Verify your email address before you use the API: follow the link we "
        f"sent to {unverified.email}.",
        "field": None,
    }
    assert not Token.objects.filter(user=unverified).exists()


def test_a_wrong_password_is_refused_before_the_email_is_looked_at(unverified):
    response = APIClient().post(
        TOKEN, {"email": unverified.email, "password": "wrong"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "authorization"


def test_a_confirmed_email_gets_its_token(user):
    response = APIClient().post(TOKEN, {"email": user.email, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_an_old_token_of_an_unconfirmed_email_cannot_accept_a_licence(unverified):
    offer = publish_offer(CharacterFactory())

    response = _with_old_token(unverified).post(
        f"/api/v1/offers/{offer.pk}/accept/",
        {"max_fee": 0, "max_rev_share_bps": 10_000},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "email_unverified"
    assert response.json()["detail"].startswith(
        "Verify your email address before you accept a licence"
    )
    assert not Grant.objects.filter(licensee=unverified).exists()


def test_an_old_token_of_an_unconfirmed_email_cannot_generate():
    # given: a licence accepted while the address was confirmed, which it no longer is
    unverified = UserFactory()
    character = CharacterFactory(name="Hoshi-chan")
    grant_for(character, unverified)
    EmailAddress.objects.filter(user=unverified).update(verified=False)

    response = _with_old_token(unverified).post(
        "/api/v1/generations/",
        {"prompt": "Hoshi-chan dances", "character_ids": [str(character.pk)], "duration_s": 5},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "email_unverified"
    assert response.json()["detail"].startswith("Verify your email address before you generate")
    assert not GenerationRequest.objects.filter(creator=unverified).exists()


def test_the_web_log_in_of_an_unconfirmed_email_does_not_sign_in(unverified):
    web = Client()

    response = web.post(reverse("account_login"), {"login": unverified.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in web.session


def test_a_web_session_of_an_unconfirmed_email_cannot_accept_a_licence(unverified):
    # a session from before the address was unconfirmed (force_login skips allauth)
    character = CharacterFactory()
    offer = publish_offer(character)
    web = Client()
    web.force_login(unverified)

    response = web.post(
        reverse("payments:offer_accept", args=[character.pk, offer.pk]),
        {"max_fee": 0, "max_rev_share_bps": 10_000},
        follow=True,
    )

    assert "Not accepted: Verify your email address before you accept a licence" in (
        response.content.decode()
    )
    assert not Grant.objects.filter(licensee=unverified).exists()
