"""Two-factor helpers: the admin requires staff to have TOTP and to have used it."""

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal import auth as totp_auth
from django.urls import reverse

from tests.factories import PASSWORD


def totp_activate(user) -> str:
    """Give ``user`` an authenticator app; returns its secret."""
    secret = totp_auth.generate_totp_secret()
    totp_auth.TOTP.activate(user, secret)
    return secret


# allauth accepts only the current period's code (no tolerance): a code handed out in the
# last moments of its period expires before the request that carries it is checked (on a
# busy machine, or typed into a page by the browser journey), which failed runs now and
# then. Such a code is never handed out: totp_code waits for the next period instead.
CODE_MARGIN_S = 5.0


def totp_code(secret: str) -> str:
    """The code an authenticator app with ``secret`` shows now, with at least
    CODE_MARGIN_S seconds of its period left."""
    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < CODE_MARGIN_S:
        time.sleep(left + 0.05)
    counter = next(totp_auth.yield_hotp_counters_from_time())
    return totp_auth.format_hotp_value(totp_auth.hotp_value(secret, counter))


def log_in_with_totp(client, user, *, secret: str, password: str = PASSWORD) -> None:
    """Log ``user`` in the way staff do: allauth's password form, then the code step."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate"), response
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302, response.content
    assert client.session["_auth_user_id"] == str(user.pk)
