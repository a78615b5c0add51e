"""Staff powers need a second factor on the web and the API's session channel too."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts import selectors
from accounts.enums import AccountsError
from accounts.second_factor import staff_passes_mfa

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# allauth's pages (log-out, TOTP set-up, the code step) and the admin, which asks for
# the code itself (config/admin_site.py); the token endpoint asks for a code of its own.
EXEMPT_PREFIXES = ("/accounts/", "/admin/", "/api/v1/auth/token/")
STAFF_SESSION_NEEDS_CODE = (
    "Staff act only from a session signed in with a code from their authenticator app."
)


class StaffSecondFactorMiddleware:
    """A staff account whose session did not pass allauth's MFA step (or who has no
    authenticator yet) changes nothing: every unsafe request (dispute resolution,
    deleting videos, the ops ping ...) is refused, the API with 403 ``mfa_required``,
    pages by sending them to set up TOTP or to enter a code. Reading is allowed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            request.method in SAFE_METHODS
            or user is None
            or not user.is_authenticated
            or not user.is_staff
            or request.path.startswith(EXEMPT_PREFIXES)
            or staff_passes_mfa(request)
        ):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "code": AccountsError.MFA_REQUIRED,
                    "detail": STAFF_SESSION_NEEDS_CODE,
                    "field": None,
                },
                status=403,
            )
        if not selectors.user_has_totp(user=user):
            messages.info(request, f"{STAFF_SESSION_NEEDS_CODE} Set one up here, then try again.")
            return redirect("mfa_activate_totp")
        messages.info(request, f"{STAFF_SESSION_NEEDS_CODE} Enter a code, then try again.")
        return redirect_to_login(reverse("home"), reverse("mfa_reauthenticate"))
