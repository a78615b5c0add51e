"""Likeness consent pages: the person asks for a phrase and sends a video of themselves
reading it (recorded in the page by static/js/consent.js, or a file as the fallback),
and staff review the videos waiting, beside the reference images and the phrase."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as accounts_selectors
from accounts.second_factor import staff_passes_mfa
from core.errors import DomainError
from licensing import selectors, services
from licensing.enums import ConsentStatus
from licensing.models import LikenessConsent
from licensing.web import forms
from licensing.web.manage import _editable_character, _manage_page


def staff_with_second_factor(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff pages that show private evidence: the admin's rule (config/admin_site.py),
    for reading too. Anyone else is refused; staff whose session did not pass the TOTP
    step are sent to set one up or to enter a code, then come back."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise PermissionDenied("This page is for Cocreate staff.")
        if not staff_passes_mfa(request):
            if not accounts_selectors.user_has_totp(user=user):
                messages.info(request, "Staff pages need an authenticator app: set one up here.")
                return redirect("mfa_activate_totp")
            messages.info(request, "Enter a code from your authenticator app to continue.")
            return redirect_to_login(request.get_full_path(), reverse("mfa_reauthenticate"))
        return view(request, *args, **kwargs)

    return wrapped


@login_required
@require_POST
def consent_challenge_new(request: HttpRequest, pk) -> HttpResponse:
    """A fresh phrase to read, shown on the likeness's page."""
    character = _editable_character(request, pk)
    try:
        services.consent_challenge_issue(character=character, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
        return _manage_page(request, character, status=400)
    return redirect(reverse("licensing:character_manage", kwargs={"pk": pk}) + "#consent")


@login_required
@require_POST
def consent_submit(request: HttpRequest, pk) -> HttpResponse:
    """The fallback without JavaScript: the video as a file, with the phrase's id."""
    character = _editable_character(request, pk)
    form = forms.ConsentVideoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.consent_video_submit(
                challenge_id=form.cleaned_data["challenge_id"],
                character=character,
                by=request.user,
                file=form.cleaned_data["video"],
            )
        except DomainError as exc:
            form.add_error("video" if exc.field == "video" else None, exc.detail)
        else:
            messages.success(request, "Thank you: staff will review your video shortly.")
            return redirect(reverse("licensing:character_manage", kwargs={"pk": pk}) + "#consent")
    # Refused: a 400, the page again with the reason beside the video field.
    return _manage_page(request, character, consent_form=form, status=400)


QUEUE_PAGE_SIZE = 50


def _queue_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    consents = list(selectors.consent_review_queue()[:QUEUE_PAGE_SIZE])
    return render(
        request,
        "licensing/consent_queue.html",
        {"consents": consents, "error": error},
        status=status,
    )


@staff_with_second_factor
@require_GET
def consent_queue(request: HttpRequest) -> HttpResponse:
    """The consent videos waiting for review, oldest first."""
    return _queue_page(request)


@staff_with_second_factor
@require_POST
def consent_review(request: HttpRequest, consent_pk) -> HttpResponse:
    """Approve or reject one video; a rejection needs a reason."""
    consent = LikenessConsent.objects.filter(pk=consent_pk).first()
    if consent is None:
        raise Http404("No such consent video")
    form = forms.ConsentReviewForm(request.POST)
    if not form.is_valid():
        return _queue_page(request, error="Choose approve or reject.", status=400)
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            consent = services.consent_approve(
                consent=consent, by=request.user, reason=data["reason"]
            )
        else:
            consent = services.consent_reject(
                consent=consent, by=request.user, reason=data["reason"]
            )
    except DomainError as exc:
        # Refused (no reason given, already reviewed): the queue again, saying why.
        return _queue_page(request, error=f"{consent.character.name}: {exc.detail}", status=400)
    verb = "approved: it is active" if consent.status == ConsentStatus.APPROVED else "rejected"
    messages.success(request, f"{consent.character.name}'s consent video is {verb}.")
    return redirect("licensing:consent_queue")
