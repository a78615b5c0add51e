"""Second factors: whether a session or a code carries one. Staff powers need one in
every channel: the admin (config/admin_site.py), staff sessions on the web and the
API (accounts.middleware.StaffSecondFactorMiddleware) and staff API tokens
(accounts.api.authentication.TokenAuthentication)."""

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.http import HttpRequest

from accounts import selectors
from accounts.models import User


def session_used_mfa(request: HttpRequest) -> bool:
    """Whether this session's sign-in included an allauth MFA step (a TOTP or a
    recovery code), at log-in or at re-authentication."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def totp_activation_counts_as_mfa(
    sender, request: HttpRequest | None, user: User, authenticator: Authenticator, **kwargs
) -> None:
    """allauth's ``authenticator_added``: activating an authenticator app takes its
    current code, after the password (asked again unless just given), so the session
    has shown both factors. Recorded as the session's MFA step, the staff second factor
    is met by that one code: without it the admin asked for a second code straight
    after activation, and the first could not be used again until its period ended."""
    if request is None or authenticator.type != Authenticator.Type.TOTP:
        return
    record_authentication(
        request, user, "mfa", id=authenticator.pk, type=authenticator.type, activated=True
    )


def staff_passes_mfa(request: HttpRequest) -> bool:
    user = request.user
    return (
        user.is_active
        and user.is_staff
        and selectors.user_has_totp(user=user)
        and session_used_mfa(request)
    )


def totp_code_valid(*, user: User, code: str) -> bool:
    """Whether ``code`` is the current code of the user's authenticator app (each code
    counts once: allauth remembers the codes used)."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return authenticator is not None and TOTP(authenticator).validate_code(code.strip())
