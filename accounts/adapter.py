"""django-allauth adapter: allauth's lockout after failed log-ins, told in minutes and
answered with 429 + Retry-After (by core.middleware.RetryAfterMiddleware)."""

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from core.ratelimit import allauth_retry_after, duration_text

LOCKED_OUT = "too_many_login_attempts"


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """allauth keys the failed log-in lockout ("5/5m/key") by the account alone, so
        anyone could lock a person out by failing their password from anywhere. Keyed
        by account and client address, a lockout holds only where the failures came
        from; each address is limited across accounts too ("10/m/ip")."""
        account_key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{account_key}@{self.get_client_ip(request)}"

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """allauth counts failed log-ins per account (and per address) in
        ACCOUNT_RATE_LIMITS["login_failed"] and refuses once they are spent. The web
        log-in, re-authentication and the API token endpoint all come through here,
        so failures on one lock the others."""
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as exc:
            if exc.code != LOCKED_OUT:
                raise
            retry_after = allauth_retry_after(
                request,
                action="login_failed",
                key=self._get_login_attempts_cache_key(request, **credentials),
            )
            request.rate_limited_retry_after = retry_after  # type: ignore[attr-defined]
            raise ValidationError(
                "Too many failed log-in attempts for this account; "
                f"try again in {duration_text(retry_after)}.",
                code=LOCKED_OUT,
            ) from exc
