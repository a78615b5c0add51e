"""The rightsholder's approvals: the videos waiting for their review (per-work approval)
and licence requests (per-licensee approval), each approved or declined; and the active
licences they may revoke."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from licensing import selectors as licensing_selectors
from licensing import services as licensing_services
from marketplace import selectors, services
from marketplace.web.forms import DecisionForm


def _uuid_or_404(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such licence request") from None


@login_required
@require_http_methods(["GET", "POST"])
def approvals(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("work_approval"):
        return _decide_work_approval(request)
    if request.method == "POST":
        # Only the rightsholder decides; to anyone else (the licensee too) the request
        # does not exist.
        grant = (
            licensing_selectors.grants_for_licensor(user=request.user)
            .filter(pk=_uuid_or_404(request.POST.get("grant")))
            .first()
        )
        form = DecisionForm(request.POST)
        if grant is None:
            raise Http404("No such licence request")
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "approve":
                    licensing_services.grant_approve(grant=grant, by=request.user)
                    messages.success(
                        request, f"{grant.licensee} may now use {grant.character.name}."
                    )
                else:
                    licensing_services.grant_reject(
                        grant=grant, by=request.user, reason=form.cleaned_data["reason"]
                    )
                    messages.success(
                        request,
                        f"Declined {grant.licensee}'s request; any fee they paid is refunded.",
                    )
            except DomainError as exc:
                messages.error(request, exc.detail)
        return redirect(reverse("marketplace:approvals"))
    pending = list(
        licensing_selectors.grants_for_licensor(user=request.user, status="pending_approval")
    )
    works = [
        (approval, selectors.work_declared(work=approval.work))
        for approval in selectors.work_approvals_for_licensor(user=request.user)
    ]
    # Who is asking: each requester's latest published works, shown with the request.
    past = selectors.recent_works_by_creators(user_ids={g.licensee_id for g in pending})
    active = licensing_selectors.grants_for_licensor(user=request.user, status="active")
    return render(
        request,
        "marketplace/approvals.html",
        {
            "requests": [(grant, past.get(grant.licensee_id, [])) for grant in pending],
            "work_approvals": works,
            "active": active,
        },
    )


def _decide_work_approval(request: HttpRequest) -> HttpResponse:
    approval = selectors.work_approval_for_licensor(
        pk=_uuid_or_404(request.POST.get("work_approval")), user=request.user
    )
    if approval is None:
        raise Http404("No such review")
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.work_approval_decide(
                approval=approval,
                by=request.user,
                approve=approve,
                note=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(
                request, "Approved and published." if approve else "Declined: it stays unpublished."
            )
    return redirect(reverse("marketplace:approvals"))
