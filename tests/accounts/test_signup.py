import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp_auth
from django.core import mail
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD as FACTORY_PASSWORD

pytestmark = pytest.mark.django_db

EMAIL = "new.creator@example.com"
PASSWORD = "a-long-unusual-passphrase-42"


def _confirmation_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_signup_then_email_verification_then_login(client):
    # given: a visitor signs up with an email and password
    response = client.post(
        reverse("account_signup"), {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD}
    )

    # then: the account exists but is not logged in until the email is verified
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email=EMAIL)
    assert user.emailaddress_set.get().verified is False
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [EMAIL]

    # and: logging in before verifying is held at the verification step
    response = client.post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    # when: they follow the emailed link and confirm
    path = _confirmation_path(mail.outbox[-1])
    assert client.get(path).status_code == 200
    response = client.post(path)

    # then: the address is verified and they are logged in
    assert response.status_code == 302
    assert user.emailaddress_set.get().verified is True
    assert client.session["_auth_user_id"] == str(user.pk)

    # and: after logging out, the email and password log them in
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_with_wrong_password_shows_error_next_to_form(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": "nope"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert b"not correct" in response.content


def test_signup_with_taken_email_creates_nothing_and_tells_only_the_owner(client, user):
    # allauth prevents account enumeration: the visitor sees the usual "check your
    # email" page, and the mail goes to the address's real owner.
    response = client.post(
        reverse("account_signup"),
        {"email": user.email.upper(), "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    assert User.objects.filter(email__iexact=user.email).count() == 1
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert "already" in mail.outbox[0].body.lower()


def test_password_reset_sends_a_working_link(client, user):
    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body)
    assert link
    response = client.get(link.group(1), follow=True)
    assert response.status_code == 200
    response = client.post(
        response.redirect_chain[-1][0] if response.redirect_chain else link.group(1),
        {"password1": "an-entirely-new-phrase-77", "password2": "an-entirely-new-phrase-77"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("an-entirely-new-phrase-77")


def _current_totp(secret: str) -> str:
    counter = next(totp_auth.yield_hotp_counters_from_time())
    return totp_auth.format_hotp_value(totp_auth.hotp_value(secret, counter))


def test_user_turns_on_totp_and_is_then_asked_for_a_code_at_login(client, user):
    # given: a logged-in user; changing security settings first asks for the password again
    client.force_login(user)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))
    client.post(response.url, {"password": FACTORY_PASSWORD})

    # when: they open the TOTP set-up and enter the current code
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": _current_totp(secret)})

    # then: TOTP is on
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    # and: the next log-in stops at the second factor until a code is given
    client.post(reverse("account_logout"))
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": FACTORY_PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


CONSOLE = "django.core.mail.backends.console.EmailBackend"
DEV_NOTE = "The link is printed in the terminal running"


def test_in_development_the_page_points_to_the_terminal_whose_link_signs_in(
    client, settings, capsys
):
    # given: development's console e-mail backend (make run)
    settings.EMAIL_BACKEND = CONSOLE

    # when: a visitor signs up
    response = client.post(
        reverse("account_signup"),
        {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )

    # then: the "check your e-mail" page says where the link is
    html = response.content.decode()
    assert "Verify your email address" in html
    assert DEV_NOTE in html and "<code>make run</code>" in html
    # and: the link is in the terminal; opened in this browser, it signs them in
    printed = capsys.readouterr().out
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", printed)
    assert match, printed
    assert "_auth_user_id" not in client.session
    response = client.post(match.group(1))
    assert response.status_code == 302
    user = User.objects.get(email=EMAIL)
    assert user.emailaddress_set.get().verified is True
    assert client.session["_auth_user_id"] == str(user.pk)


def test_where_email_is_really_sent_the_page_does_not_mention_the_terminal(client):
    response = client.post(
        reverse("account_signup"),
        {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )

    html = response.content.decode()
    assert "We have sent you an email with a link" in html
    assert DEV_NOTE not in html
