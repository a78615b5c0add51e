"""Log-in and sign-up limits (django-allauth's), and the lockout after failed log-ins,
shared by the web log-in and the API token endpoint: 429 with Retry-After."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
SIGNUP = reverse("account_signup")
TOKEN = "/api/v1/auth/token/"
FROZEN = "2026-11-02 10:00:00+00:00"


def _web_login(client, email, password):
    return client.post(LOGIN, {"login": email, "password": password})


def _token(email, password):
    return APIClient().post(TOKEN, {"email": email, "password": password}, format="json")


def test_five_failed_web_log_ins_lock_the_account_on_the_web_and_the_api(user):
    with time_machine.travel(FROZEN, tick=False) as traveller:
        # given: five wrong passwords, a minute apart
        for attempt in range(5):
            traveller.shift(60 if attempt else 0)
            assert _web_login(Client(), user.email, "wrong").status_code == 200

        # when: the right password, from the web and from the API
        web = _web_login(Client(), user.email, PASSWORD)
        api = _token(user.email, PASSWORD)

        # then: both refuse with 429 until the oldest failure is five minutes old (60 s)
        assert web.status_code == 429
        assert web["Retry-After"] == "60"
        assert "Too many failed log-in attempts for this account; try again in 1 minute." in (
            web.content.decode()
        )
        assert api.status_code == 429
        assert api["Retry-After"] == "60"
        assert api.json()["code"] == "throttled"

        # and: another account is not locked
        other = UserFactory()
        assert _token(other.email, PASSWORD).status_code == 200

        # when: the window has moved past the oldest failure
        traveller.shift(60)
        response = _web_login(Client(), user.email, PASSWORD)

    # then: the account logs in again
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_failed_api_token_requests_lock_the_web_log_in(user):
    with time_machine.travel(FROZEN, tick=False):
        for _ in range(5):
            assert _token(user.email, "wrong").status_code == 400

        response = _web_login(Client(), user.email, PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "300"
    assert "_auth_user_id" not in Client().session


def test_too_many_log_in_posts_from_one_address_get_the_429_page(settings, user):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    with time_machine.travel(FROZEN, tick=False) as traveller:
        _web_login(Client(), user.email, "wrong")
        traveller.shift(15)
        _web_login(Client(), user.email, "wrong")

        response = _web_login(Client(), user.email, PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "45"
    assert "try again in 45 seconds" in response.content.decode()


def test_too_many_sign_ups_from_one_address_get_the_429_page(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1/m/ip"}
    body = {
        "password1": "a-long-unusual-passphrase-42",
        "password2": "a-long-unusual-passphrase-42",
    }

    first = Client().post(SIGNUP, {"email": "one@example.com", **body})
    second = Client().post(SIGNUP, {"email": "two@example.com", **body})

    assert first.status_code == 302
    assert second.status_code == 429
    assert 0 < int(second["Retry-After"]) <= 60


def test_the_token_endpoint_is_limited_per_address(settings, user):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "token": "2/m"}

    answers = [_token(user.email, PASSWORD) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 0 < int(answers[-1]["Retry-After"]) <= 60
    assert answers[-1].json()["detail"].startswith("You have made 2 token requests")


def test_failures_from_one_address_do_not_lock_the_account_elsewhere(user):
    stranger, owner = "203.0.113.7", "198.51.100.20"
    with time_machine.travel(FROZEN, tick=False):
        # given: a stranger fails the person's password five times from their address
        for _ in range(5):
            response = _web_login(Client(REMOTE_ADDR=stranger), user.email, "wrong")
            assert response.status_code == 200

        # when: the stranger and the person try the right password
        at_stranger = _web_login(Client(REMOTE_ADDR=stranger), user.email, PASSWORD)
        api_at_stranger = APIClient(REMOTE_ADDR=stranger).post(
            TOKEN, {"email": user.email, "password": PASSWORD}, format="json"
        )
        at_owner = _web_login(Client(REMOTE_ADDR=owner), user.email, PASSWORD)
        api_at_owner = APIClient(REMOTE_ADDR=owner).post(
            TOKEN, {"email": user.email, "password": PASSWORD}, format="json"
        )

    # then: locked only where the failures came from
    assert at_stranger.status_code == 429
    assert at_stranger["Retry-After"] == "300"
    assert api_at_stranger.status_code == 429
    assert at_owner.status_code == 302
    assert at_owner.url == reverse("home")
    assert api_at_owner.status_code == 200


def test_one_address_failing_many_accounts_is_limited_per_address():
    address = "203.0.113.8"
    victims = UserFactory.create_batch(11)
    with time_machine.travel(FROZEN, tick=False):
        # given: ten failed log-ins from one address, each for a different account
        for victim in victims[:10]:
            assert _web_login(Client(REMOTE_ADDR=address), victim.email, "wrong").status_code == 200

        # when: an eleventh account from that address, and from another one
        here = _web_login(Client(REMOTE_ADDR=address), victims[10].email, PASSWORD)
        elsewhere = _web_login(Client(REMOTE_ADDR="198.51.100.21"), victims[10].email, PASSWORD)

    # then
    assert here.status_code == 429
    assert elsewhere.status_code == 302
