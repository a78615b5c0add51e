"""Claims and disputes on the web (DESIGN flow 8), and ending an offer (flow 9).

The work page loads ``claims_for_work`` with htmx: the claim form for an owner or
manager of a verified organization (its characters in the video first; any other of its
characters too, whose claim staff review before it takes effect), and the claims on it
with a dispute form for its creator. The rightsholder dashboard lists the
organization's claims with release and uphold buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.errors import DomainError, NotPermitted
from licensing import selectors as licensing_selectors
from marketplace import services
from marketplace.enums import (
    DISPUTE_WINDOW_DAYS,
    ClaimPolicy,
    ClaimReason,
    ClaimStatus,
    DisputeStatus,
)
from marketplace.models import Claim

if TYPE_CHECKING:
    from licensing.models import Character
from marketplace.selectors import (
    CLAIMABLE_NOT_LICENSED_MAX,
    claim_visible_to,
    claimable_characters,
    claimable_characters_not_licensed,
    claims_visible_to,
    dispute_until,
    dispute_visible_to,
    work_visible_to,
)

# --- forms -----------------------------------------------------------------------------

NOT_LICENSED_GROUP = "Not licensed in this video: our staff review the claim first"


class ClaimForm(forms.Form):
    character = forms.UUIDField(widget=forms.Select)
    reason = forms.ChoiceField(choices=ClaimReason.choices)
    policy = forms.ChoiceField(
        choices=ClaimPolicy.choices,
        widget=forms.RadioSelect,
        initial=ClaimPolicy.TRACK,
        help_text=f"The creator can dispute within {DISPUTE_WINDOW_DAYS} days; the video's "
        "revenue is held in escrow while a dispute is open.",
    )
    evidence = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the video does wrong, and where (times, frames, words).",
    )

    def __init__(
        self, *args, characters: list[Character], others: Sequence[Character] = (), **kwargs
    ):
        super().__init__(*args, **kwargs)
        choices: list = [(str(c.pk), c.name) for c in characters]
        if others:
            choices = [
                *([("In this video", choices)] if choices else []),
                (NOT_LICENSED_GROUP, [(str(c.pk), c.name) for c in others]),
            ]
        self.fields["character"].widget.choices = choices
        if len(others) >= CLAIMABLE_NOT_LICENSED_MAX:
            self.fields["character"].help_text = (
                f"Your first {CLAIMABLE_NOT_LICENSED_MAX} other characters by name; claim "
                "any other through the API (POST /api/v1/works/{id}/claims/)."
            )


class DisputeForm(forms.Form):
    reason = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why the claim is wrong",
    )


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(choices=[("release", "Release"), ("uphold", "Uphold")])
    note = forms.CharField(max_length=300, required=False)


def _field_error(form: forms.Form, exc: DomainError | NotPermitted) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, exc.detail)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows as a full page load (so messages show)."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- the work page's claims panel ---------------------------------------------------------


def _decorated(claims) -> list[Claim]:
    now = timezone.now()
    rows = list(claims)
    for claim in rows:
        claim.dispute_until = dispute_until(claim)
        claim.can_dispute = (
            claim.status == ClaimStatus.ACTIVE
            and claim.dispute_until is not None
            and now <= claim.dispute_until
        )
        dispute = getattr(claim, "dispute", None)
        claim.dispute_open = dispute is not None and dispute.status == DisputeStatus.OPEN
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def claims_for_work(request: HttpRequest, pk) -> HttpResponse:
    """The claims panel of a work page (GET, loaded with htmx), and filing a claim
    (POST). Without htmx it renders as a page of its own."""
    work = work_visible_to(pk=pk, user=request.user)
    if work is None:
        raise Http404("No such work")
    characters = claimable_characters(work=work, user=request.user)
    others = claimable_characters_not_licensed(work=work, user=request.user)
    form = ClaimForm(request.POST or None, characters=characters, others=others)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        character = licensing_selectors.character_with_owner(pk=data["character"])
        if character is None:
            form.add_error("character", "No such character.")
        else:
            try:
                claim = services.claim_file(
                    work=work,
                    character=character,
                    by=request.user,
                    reason=data["reason"],
                    evidence=data["evidence"],
                    policy=data["policy"],
                )
            except DomainError as exc:
                _field_error(form, exc)
            else:
                return _after_filing(request, claim)
            # NotPermitted (not an owner or manager of the character's organization)
            # propagates: a 403, as on the API, not a form error on a 200 page.
    is_creator = work.creator_id == request.user.pk
    claims = claims_visible_to(user=request.user).filter(work=work)
    context = {
        "work": work,
        "form": form if characters or others or form.is_bound else None,
        "claims": _decorated(claims),
        "is_creator": is_creator,
        "dispute_form": DisputeForm(),
    }
    template = (
        "marketplace/_claims_for_work.html" if request.htmx else "marketplace/claims_work.html"
    )
    return render(request, template, context)


def _after_filing(request: HttpRequest, claim: Claim) -> HttpResponse:
    if claim.status == ClaimStatus.STAFF_REVIEW:
        messages.success(
            request,
            f"Claim on {claim.character.name} sent to our staff: {claim.review_reason}, so "
            "staff review the claim before it takes effect. "
            "Nothing changes for the video until they accept it; you are notified either way.",
        )
        return _redirect(request, reverse("marketplace:claims_dashboard"))
    policy = {
        ClaimPolicy.BLOCK: "The video is delisted while the claim stands.",
        ClaimPolicy.MONETIZE: "Its future revenue goes to your organization.",
        ClaimPolicy.TRACK: "It is tracked; nothing else changes.",
    }[claim.policy]
    messages.success(
        request,
        f"Claim on {claim.character.name} filed. {policy} The creator is notified and may "
        f"dispute it within {DISPUTE_WINDOW_DAYS} days.",
    )
    return _redirect(request, reverse("marketplace:claims_dashboard"))


@login_required
@require_POST
def claim_dispute(request: HttpRequest, pk) -> HttpResponse:
    """The creator disputes a claim on their video."""
    claim = claim_visible_to(pk=pk, user=request.user)
    if claim is None:
        raise Http404("No such claim")
    form = DisputeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the claim is wrong.")
    else:
        try:
            services.dispute_open(claim=claim, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, f"Not disputed: {exc.detail}")
        else:
            messages.success(
                request,
                f"Disputed. {claim.organization.name} must release or uphold the claim; the "
                "video's revenue is held in escrow until then.",
            )
    return _redirect(request, claim.work.get_absolute_url())


@login_required
@require_POST
def dispute_escalate(request: HttpRequest, pk) -> HttpResponse:
    """Either party asks staff to decide an open dispute."""
    dispute = dispute_visible_to(pk=pk, user=request.user)
    if dispute is None:
        raise Http404("No such dispute")
    try:
        services.dispute_escalate(dispute=dispute, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Sent to our staff, who will decide.")
    work = dispute.claim.work
    if work.creator_id == request.user.pk:
        return _redirect(request, work.get_absolute_url())
    return _redirect(request, reverse("marketplace:claims_dashboard"))


# --- the rightsholder's claims dashboard --------------------------------------------------


@login_required
def claims_dashboard(request: HttpRequest) -> HttpResponse:
    claims = _decorated(claims_visible_to(user=request.user, role="claimant"))
    editor_of = licensing_selectors.editable_organization_ids(user=request.user)
    for claim in claims:
        claim.can_act = claim.organization_id in editor_of
    return render(request, "marketplace/claims.html", {"claims": claims})


@login_required
@require_POST
def claim_release(request: HttpRequest, pk) -> HttpResponse:
    claim = claim_visible_to(pk=pk, user=request.user)
    if claim is None:
        raise Http404("No such claim")
    try:
        services.claim_release(claim=claim, by=request.user)
    except DomainError as exc:
        messages.error(request, f"Not released: {exc.detail}")
    else:
        messages.success(request, f"Released your claim on “{claim.work.title}”.")
    return redirect("marketplace:claims_dashboard")


@login_required
@require_POST
def dispute_resolve(request: HttpRequest, pk) -> HttpResponse:
    dispute = dispute_visible_to(pk=pk, user=request.user)
    if dispute is None:
        raise Http404("No such dispute")
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose release or uphold.")
        return redirect("marketplace:claims_dashboard")
    uphold = form.cleaned_data["decision"] == "uphold"
    try:
        services.dispute_resolve(
            dispute=dispute, by=request.user, uphold=uphold, note=form.cleaned_data["note"]
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            "Upheld: the claim stands and the held revenue goes to your organization."
            if uphold
            else "Released: the held revenue goes to its usual recipients.",
        )
    return redirect("marketplace:claims_dashboard")
