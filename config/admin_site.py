"""The Django admin, for staff who signed in with a second factor.

Staff log in through allauth (the admin's own password form is never shown), which
asks for the TOTP code of any user who has an authenticator. The admin then requires,
on top of Django's is_active + is_staff, that the user has TOTP set up and that this
session completed an MFA step (allauth records each authentication step in the
session). A staff user without TOTP is sent to set it up; one whose session skipped
the code (e.g. logged in before setting it up) is asked for a code again."""

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts import selectors
from accounts.second_factor import staff_passes_mfa


class StaffMFAAdminSite(admin.AdminSite):
    site_header = "Cocreate admin"
    site_title = "Cocreate admin"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and staff_passes_mfa(request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Where the admin sends anyone it does not let in: to allauth's log-in, to
        TOTP set-up, or to a TOTP code, each returning to the admin page asked for."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = ""
        next_url = next_url or reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url, reverse("account_login"))
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("The admin is for Cocreate staff.")
        if self.has_permission(request):
            return redirect(next_url)
        if not selectors.user_has_totp(user=user):
            messages.info(
                request,
                "The admin needs two-factor authentication: set up an authenticator app "
                "here, then open the admin again.",
            )
            return redirect("mfa_activate_totp")
        messages.info(request, "Enter a code from your authenticator app to open the admin.")
        return redirect_to_login(next_url, reverse("mfa_reauthenticate"))
