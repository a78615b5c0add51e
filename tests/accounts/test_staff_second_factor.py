"""Staff powers need a second factor in every channel: the admin (tests/accounts/
test_admin_mfa.py), staff web sessions, the API's session channel, and staff API
tokens, which are issued only with a code from the authenticator app."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import TokenSecondFactor
from marketplace import services as marketplace_services
from tests.factories import (
    PASSWORD,
    CharacterFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
)
from tests.mfa import log_in_with_totp, totp_activate, totp_code

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def dispute():
    """An open dispute on a claim by a studio on a creator's video."""
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    work = WorkFactory(creator=creator, grants=[grant_for(hoshi, creator)], title="Hoshi's day")
    claim = marketplace_services.claim_file(
        work=work,
        character=hoshi,
        by=editor_of(hoshi),
        reason="terms_breach",
        evidence="A beer at 0:02.",
        policy="track",
    )
    return marketplace_services.dispute_open(claim=claim, by=creator, reason="No beer")


def _resolve_api(api, dispute):
    return api.post(
        f"/api/v1/disputes/{dispute.pk}/resolve/", {"decision": "uphold"}, format="json"
    )


def _token(staff, **extra):
    return APIClient().post(
        TOKEN, {"email": staff.email, "password": PASSWORD, **extra}, format="json"
    )


# --- API tokens -------------------------------------------------------------------------------


def test_staff_without_an_authenticator_get_no_api_token(staff):
    response = _token(staff)

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    assert response.json()["field"] == "code"
    assert "set up an authenticator app" in response.json()["detail"]
    assert not Token.objects.filter(user=staff).exists()


def test_staff_get_no_api_token_without_the_code_or_with_a_wrong_one(staff):
    totp_activate(staff)

    without = _token(staff)
    wrong = _token(staff, code="000000")

    assert (without.status_code, without.json()["code"]) == (403, "mfa_required")
    assert (wrong.status_code, wrong.json()["code"], wrong.json()["field"]) == (
        400,
        "invalid",
        "code",
    )
    assert not Token.objects.filter(user=staff).exists()


def test_a_staff_token_issued_with_the_code_settles_a_dispute(staff, dispute):
    secret = totp_activate(staff)

    issued = _token(staff, code=totp_code(secret))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    response = _resolve_api(api, dispute)

    assert issued.status_code == 200
    assert TokenSecondFactor.objects.filter(token__key=issued.json()["token"]).exists()
    assert (response.status_code, response.json()["status"]) == (200, "upheld")


def test_a_staff_token_issued_without_the_code_is_refused(staff, dispute):
    # given: a token made before the rule (or by hand)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")

    # when
    resolve = _resolve_api(api, dispute)
    me = api.get("/api/v1/me/")

    # then
    assert resolve.status_code == 401
    assert resolve.json()["code"] == "mfa_required"
    assert me.status_code == 401
    dispute.refresh_from_db()
    assert dispute.status == "open"


def test_issuing_with_the_code_replaces_a_token_made_without_it(staff):
    old = Token.objects.create(user=staff).key
    secret = totp_activate(staff)

    new = _token(staff, code=totp_code(secret)).json()["token"]

    assert new != old
    assert not Token.objects.filter(key=old).exists()


def test_other_accounts_get_tokens_without_a_code(user):
    response = _token(user)

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert response.status_code == 200
    assert api.get("/api/v1/me/").status_code == 200


# --- sessions: the web dashboard and the API's session channel -----------------------------


def test_a_staff_session_without_the_code_cannot_settle_a_dispute_on_the_web(staff, dispute):
    # given: staff with an authenticator whose session skipped the code
    totp_activate(staff)
    web = Client()
    web.force_login(staff)

    # when
    response = web.post(
        reverse("marketplace:dispute_resolve", args=[dispute.pk]), {"decision": "uphold"}
    )

    # then: sent for a code, and nothing changed
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_reauthenticate"))
    dispute.refresh_from_db()
    assert dispute.status == "open"


def test_staff_without_an_authenticator_are_sent_to_set_one_up(staff, dispute):
    web = Client()
    web.force_login(staff)

    response = web.post(
        reverse("marketplace:dispute_resolve", args=[dispute.pk]), {"decision": "uphold"}
    )

    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    dispute.refresh_from_db()
    assert dispute.status == "open"


def test_a_staff_session_signed_in_with_the_code_settles_a_dispute_on_the_web(staff, dispute):
    web = Client()
    log_in_with_totp(web, staff, secret=totp_activate(staff))

    web.post(reverse("marketplace:dispute_resolve", args=[dispute.pk]), {"decision": "uphold"})

    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolved_by) == ("upheld", staff)


def test_a_staff_session_without_the_code_is_refused_by_the_api(staff, dispute):
    totp_activate(staff)
    api = APIClient()
    api.force_login(staff)

    response = _resolve_api(api, dispute)

    assert response.status_code == 403
    assert response.json() == {
        "code": "mfa_required",
        "detail": "Staff act only from a session signed in with a code from their "
        "authenticator app.",
        "field": None,
    }
    dispute.refresh_from_db()
    assert dispute.status == "open"


def test_a_staff_session_without_the_code_may_still_read(staff):
    web = Client()
    web.force_login(staff)

    assert web.get(reverse("home")).status_code == 200


# allauth sends ``authenticator_added`` once the activation commits: a real commit here.
@pytest.mark.django_db(transaction=True)
def test_the_code_that_activates_totp_lets_that_session_settle_a_dispute(staff, dispute):
    # given: staff without an authenticator, signed in with the password
    web = Client()
    web.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    url = reverse("marketplace:dispute_resolve", args=[dispute.pk])
    assert web.post(url, {"decision": "uphold"}).url == reverse("mfa_activate_totp")

    # when: they set up the app (the password again, then its code once)
    web.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    secret = web.get(reverse("mfa_activate_totp")).context["form"].secret
    web.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    # then: the same session acts without another code
    web.post(url, {"decision": "uphold"})
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolved_by) == ("upheld", staff)
