"""The Django admin is for staff who set up TOTP and signed in with it."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
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


# --- one code on the way to the admin --------------------------------------------------


def _activate_totp(client) -> str:
    """Enter the current code on allauth's activation page, as the person does after
    scanning its QR code (allauth first asks for the password again: changing security
    settings does); returns the secret the page showed."""
    page = client.get(reverse("mfa_activate_totp"), follow=True)
    if page.redirect_chain and page.redirect_chain[-1][0].startswith(
        reverse("account_reauthenticate")
    ):
        page = client.post(page.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert page.redirect_chain[-1][0] == reverse("mfa_activate_totp")
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.content
    return secret


# allauth sends ``authenticator_added`` once the activation commits, so these tests
# commit for real (the default test transaction would hold it back).
@pytest.mark.django_db(transaction=True)
def test_staff_who_set_up_totp_reach_the_admin_with_that_one_code(client, staff):
    # given: the demo's staff, without an authenticator, logged in with the password
    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert response.status_code == 302

    # when: the admin sends them to set up TOTP, and they enter the app's code once
    _, hops = _final(client, ORGANIZATIONS)
    assert reverse("mfa_activate_totp") in hops
    _activate_totp(client)

    # then: the admin opens without asking for another code
    response = client.get(ORGANIZATIONS)
    assert response.status_code == 200
    assert b"Select organization to change" in response.content


@pytest.mark.django_db(transaction=True)
def test_the_activation_code_counts_only_in_the_session_that_entered_it(client, staff):
    # given: staff who set up TOTP in one session
    client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    _activate_totp(client)
    assert client.get(ORGANIZATIONS).status_code == 200

    # when: another session of theirs skipped the code (signed in before the set-up)
    other = Client()
    other.force_login(staff)

    # then: that session is still asked for a code
    _, hops = _final(other, ORGANIZATIONS)
    assert hops[-1] == f"{reverse('mfa_reauthenticate')}?next={ORGANIZATIONS}"
    assert other.get(ORGANIZATIONS).status_code == 302
