"""Storyline pages: the open storylines, a storyline with its takes ranked, the watch
view (the canonical beat, then the takes, in the feed's vertical player), and the
rightsholder's create/edit form, feature/unfeature and close (POST, the owner only;
to anyone else the storyline's controls do not exist: 404)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.errors import DomainError, NotPermitted
from core.replicas import replica_reads
from licensing import selectors as licensing_selectors
from marketplace import selectors, services
from marketplace import selectors_storylines as storyline_selectors
from marketplace.enums import StorylineStatus, WorkStatus
from marketplace.models import Storyline
from marketplace.services.storylines import storyline_dates_refusals
from marketplace.web.storyline_forms import StorylineForm

if TYPE_CHECKING:
    from accounts.models import User


def _storyline(pk) -> Storyline:
    storyline = storyline_selectors.storyline_get(pk=pk)
    if storyline is None:
        raise Http404("No such storyline")
    return storyline


def _managed(request: HttpRequest, pk) -> Storyline:
    """The storyline if the user runs it; to anyone else it is not there (404)."""
    storyline = _storyline(pk)
    if not services.storyline_can_manage(storyline=storyline, user=request.user):
        raise Http404("No such storyline")
    return storyline


def _with_social(works, user):
    social = selectors.works_social(works=works, user=user)
    for work in works:
        work.social = social[work.pk]
    return works


@replica_reads
@require_safe
def storyline_list(request: HttpRequest) -> HttpResponse:
    storylines = list(storyline_selectors.storylines_open()[:50])
    managed = (
        list(storyline_selectors.storylines_managed_by(user=request.user)[:50])
        if request.user.is_authenticated
        else []
    )
    return render(
        request,
        "marketplace/storylines.html",
        {"storylines": storylines, "managed": managed},
    )


@replica_reads
@require_safe
def storyline_detail(request: HttpRequest, pk) -> HttpResponse:
    storyline = _storyline(pk)
    takes = storyline_selectors.storyline_takes_ranked(storyline=storyline)
    refusals = storyline_dates_refusals(storyline=storyline)
    context = {
        "storyline": storyline,
        "takes": takes,
        "can_manage": services.storyline_can_manage(storyline=storyline, user=request.user),
        "taking": not refusals,
        "why_not": refusals[0]["message"] if refusals else "",
        "now": timezone.now(),
    }
    return render(request, "marketplace/storyline_detail.html", context)


@replica_reads
@require_safe
def storyline_watch(request: HttpRequest, pk) -> HttpResponse:
    """The storyline in the feed's player: its opening (the canonical beat), then its
    takes as ranked on its page."""
    storyline = _storyline(pk)
    takes = storyline_selectors.storyline_takes_ranked(storyline=storyline, limit=50)
    opening = storyline_selectors.storyline_opening(storyline=storyline)
    if opening is not None:
        opening.is_opening = True  # type: ignore[attr-defined]
    works = [opening, *takes] if opening is not None else list(takes)
    _with_social(works, request.user)
    return render(
        request,
        "marketplace/storyline_watch.html",
        {"storyline": storyline, "works": works, "next_cursor": None},
    )


def _form(request: HttpRequest, data=None, *, initial=None, editing: bool = False):
    user = cast("User", request.user)
    return StorylineForm(
        data,
        initial=initial or {},
        offers=list(licensing_selectors.offers_published_managed_by(user=user)[:100]),
        works=list(selectors.works_list(user=user, mine=True, status=WorkStatus.PUBLISHED)[:50]),
        characters=licensing_selectors.characters_licensable(),
        editing=editing,
    )


@login_required
@require_http_methods(["GET", "POST"])
def storyline_new(request: HttpRequest) -> HttpResponse:
    form = _form(request, request.POST or None, initial={"starts_at": timezone.now()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        offers = licensing_selectors.offers_by_ids(ids=data["cast"])
        opening = None
        if data["opening"]:
            opening = selectors.work_visible_to(pk=data["opening"], user=request.user)
        try:
            storyline = services.storyline_create(
                by=request.user,
                title=data["title"],
                premise=data["premise"],
                cast=[(offer.character, offer) for offer in offers],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                max_take_s=data["max_take_s"],
                join_policy=data["join_policy"],
                joiners=licensing_selectors.characters_by_ids(ids=data["joiners"]),
                opening=opening,
            )
        except (DomainError, NotPermitted) as exc:
            field = getattr(exc, "field", None)
            form.add_error(field if field in form.fields else None, exc.detail)
        else:
            messages.success(request, "The storyline is open for takes.")
            return redirect(storyline)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "marketplace/storyline_form.html", {"form": form, "storyline": None}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def storyline_edit(request: HttpRequest, pk) -> HttpResponse:
    storyline = _managed(request, pk)
    initial = {
        "title": storyline.title,
        "premise": storyline.premise,
        "ends_at": timezone.localtime(storyline.ends_at),
        "max_take_s": storyline.max_take_s,
        "join_policy": storyline.join_policy,
        "joiners": [str(c.pk) for c in storyline.joiners.all()],
    }
    form = _form(request, request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.storyline_update(
                storyline=storyline,
                by=request.user,
                title=data["title"],
                premise=data["premise"],
                ends_at=data["ends_at"],
                max_take_s=data["max_take_s"],
                join_policy=data["join_policy"],
                joiners=licensing_selectors.characters_by_ids(ids=data["joiners"]),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        else:
            messages.success(request, "The storyline is saved.")
            return redirect(storyline)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "marketplace/storyline_form.html",
        {"form": form, "storyline": storyline},
        status=status,
    )


@login_required
@require_POST
def storyline_close(request: HttpRequest, pk) -> HttpResponse:
    storyline = _managed(request, pk)
    if storyline.status != StorylineStatus.CLOSED:
        services.storyline_close(storyline=storyline, by=request.user)
        messages.success(request, "The storyline is closed: no new takes.")
    return redirect(storyline)


@login_required
@require_POST
def storyline_feature(request: HttpRequest, pk, work_pk) -> HttpResponse:
    """Feature (or, with ``unfeature``, stop featuring) one of the storyline's takes."""
    storyline = _managed(request, pk)
    work = storyline_selectors.storyline_take_of(storyline=storyline, pk=work_pk)
    if work is None:
        raise Http404("No such take")
    try:
        if request.POST.get("unfeature"):
            services.storyline_take_unfeature(storyline=storyline, work=work, by=request.user)
        else:
            services.storyline_take_feature(storyline=storyline, work=work, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect(storyline)
