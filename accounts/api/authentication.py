"""API authentication: DRF's token authentication, refusing a staff account's token
unless it was issued with a code from the account's authenticator app."""

from rest_framework import authentication, exceptions

from accounts.models import TokenSecondFactor

STAFF_NEEDS_CODE_DETAIL = (
    "A staff account's API token must be issued with a code from its authenticator app: "
    'ask POST /api/v1/auth/token/ again with {"email", "password", "code"}.'
)


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token …``. Staff powers need a second factor in every channel,
    so a staff account's token without one (issued before the rule, or in any other
    way) is refused with 401 ``mfa_required``; other accounts' tokens work as before."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if user.is_staff and not TokenSecondFactor.objects.filter(token=token).exists():
            raise exceptions.AuthenticationFailed(STAFF_NEEDS_CODE_DETAIL, code="mfa_required")
        return user, token
