import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


def test_token_endpoint_exchanges_email_and_password_for_a_working_token(api_client):
    membership = MembershipFactory()
    user = membership.user

    response = api_client.post(
        "/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=user).key == token

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get(reverse("api-me"))
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    assert me.json()["memberships"] == [
        {
            "organization": membership.organization.slug,
            "organization_name": membership.organization.name,
            "verification_status": "unverified",
            "role": "owner",
        }
    ]


def test_asking_twice_returns_the_same_token(api_client, user):
    body = {"email": user.email, "password": PASSWORD}

    first = api_client.post("/api/v1/auth/token/", body, format="json").json()["token"]
    second = api_client.post("/api/v1/auth/token/", body, format="json").json()["token"]

    assert first == second


def test_wrong_password_gets_the_error_shape(api_client, user):
    response = api_client.post(
        "/api/v1/auth/token/", {"email": user.email, "password": "wrong"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "authorization",
        "detail": "Unable to log in with the email and password given.",
        "field": None,
    }


def test_bad_token_and_no_token_get_401_in_the_error_shape(api_client):
    assert api_client.get(reverse("api-me")).json()["code"] == "not_authenticated"

    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get(reverse("api-me"))

    assert response.status_code == 401
    assert set(response.json()) == {"code", "detail", "field"}
    assert response.json()["code"] == "authentication_failed"
