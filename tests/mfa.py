"""Two-factor helpers: the admin requires staff to have TOTP and to have used it."""

from allauth.mfa.totp.internal import auth as totp_auth
from django.urls import reverse

from tests.factories import PASSWORD


def totp_activate(user) -> str:
    """Give ``user`` an authenticator app; returns its secret."""
    secret = totp_auth.generate_totp_secret()
    totp_auth.TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    """The code an authenticator app with ``secret`` shows now."""
    counter = next(totp_auth.yield_hotp_counters_from_time())
    return totp_auth.format_hotp_value(totp_auth.hotp_value(secret, counter))


def log_in_with_totp(client, user, *, secret: str, password: str = PASSWORD) -> None:
    """Log ``user`` in the way staff do: allauth's password form, then the code step."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate"), response
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.content
    assert client.session["_auth_user_id"] == str(user.pk)
