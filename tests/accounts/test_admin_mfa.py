"""The Django admin is for staff who set up TOTP and signed in with it."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory
from tests.mfa import log_in_with_totp, totp_activate, totp_code

pytestmark = pytest.mark.django_db

ADMIN = reverse("admin:index")
ORGANIZATIONS = reverse("admin:accounts_organization_changelist")


def _final(client, url):
    """Follow redirects from ``url``; returns (last response, the URLs passed)."""
    response = client.get(url, follow=True)
    return response, [hop for hop, _ in response.redirect_chain]


def test_anonymous_visitors_are_sent_to_allauths_log_in_and_back(client):
    response = client.get(ORGANIZATIONS, follow=True)

    assert response.redirect_chain[-1][0] == f"{reverse('account_login')}?next={ORGANIZATIONS}"
    assert response.status_code == 200
    # the admin's own password form is never shown
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={ADMIN}"


def test_staff_without_totp_are_sent_to_set_it_up(client, staff):
    client.force_login(staff)

    response, hops = _final(client, ORGANIZATIONS)

    # (allauth first asks for the password again: changing security settings does)
    assert reverse("mfa_activate_totp") in hops
    assert (
        hops[-1]
        == f"{reverse('account_reauthenticate')}?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
    )
    assert response.status_code == 200
    assert any("two-factor" in str(m) for m in get_messages(response.wsgi_request))
    assert client.get(reverse("admin:index")).status_code == 302


def test_staff_with_totp_cannot_skip_the_code_at_log_in(client, staff):
    # given: staff with an authenticator app
    totp_activate(staff)

    # when: they give only the password
    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})

    # then: allauth stops at the code step, and the admin sends them back to it
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response, hops = _final(client, ADMIN)
    assert hops[-1] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    # and: a wrong code does not open it either
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "_auth_user_id" not in client.session


def test_staff_signed_in_with_password_and_totp_reach_the_admin(client, staff):
    log_in_with_totp(client, staff, secret=totp_activate(staff))

    response = client.get(ORGANIZATIONS)

    assert response.status_code == 200
    assert b"Select organization to change" in response.content


def test_a_session_without_the_code_is_asked_for_it_before_the_admin(client, staff):
    # given: staff with TOTP whose session never used it (logged in before setting it up)
    secret = totp_activate(staff)
    client.force_login(staff)

    # when: they open the admin
    response, hops = _final(client, ORGANIZATIONS)

    # then: they are asked for a code, and the code lets them in
    assert hops[-1] == f"{reverse('mfa_reauthenticate')}?next={ORGANIZATIONS}"
    response = client.post(hops[-1], {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response.url == ORGANIZATIONS
    assert client.get(ORGANIZATIONS).status_code == 200


def test_non_staff_never_reach_the_admin_even_with_totp(client):
    person = UserFactory()
    log_in_with_totp(client, person, secret=totp_activate(person))

    response = client.get(ORGANIZATIONS, follow=True)

    assert response.status_code == 403
