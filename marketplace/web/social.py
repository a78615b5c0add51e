"""Likes and follows on a work's actions (the feed and the work page), and the works
made with a character (a fragment its page loads).

The buttons are forms that POST with CSRF and come back to the page without JavaScript;
with htmx they swap themselves (the button and its count). A signed-out viewer is sent
to log in and back."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from accounts import services as accounts_services
from core.errors import DomainError
from core.replicas import replica_reads
from licensing import selectors as licensing_selectors
from marketplace import selectors, services
from marketplace import selectors_storylines as storyline_selectors
from marketplace.models import Work
from marketplace.services.likes import AlreadyLiked


def _back(request: HttpRequest, pk) -> str:
    """Where the form came from (the feed, the work page); the work page otherwise."""
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return next_url
    return reverse("marketplace:work_detail", args=[pk])


def _to_login(request: HttpRequest, next_url: str) -> HttpResponse:
    response = redirect_to_login(next_url)
    if request.htmx:
        # htmx would swap the log-in page into the button: the browser goes there.
        return HttpResponseClientRedirect(response["Location"])
    return response


def _work(request: HttpRequest, pk) -> Work:
    work = selectors.work_visible_to(pk=pk, user=request.user)
    if work is None:
        raise Http404("No such work")
    return work


def _answer(request: HttpRequest, work: Work, template: str) -> HttpResponse:
    if not request.htmx:
        return redirect(_back(request, work.pk))
    social = selectors.works_social(works=[work], user=request.user)[work.pk]
    return render(
        request, template, {"work": work, "social": social, "next": _back(request, work.pk)}
    )


def _refused(request: HttpRequest, work: Work, exc: DomainError) -> HttpResponse:
    """The reason, as text for htmx (feed.js shows it) or on the page it came from."""
    if request.htmx:
        return HttpResponse(exc.detail, status=exc.status_code, content_type="text/plain")
    messages.error(request, exc.detail)
    return redirect(_back(request, work.pk))


@require_POST
def work_like(request: HttpRequest, pk) -> HttpResponse:
    """Like (``on=1``) or unlike (``on=0``) a work. A button pressed twice (two tabs, a
    double click) shows the like as it stands rather than an error."""
    if not request.user.is_authenticated:
        return _to_login(request, _back(request, pk))
    work = _work(request, pk)
    try:
        if request.POST.get("on", "1") == "0":
            services.unlike_work(work=work, user=request.user)
        else:
            services.like_work(work=work, user=request.user)
    except AlreadyLiked:
        pass
    except DomainError as exc:
        return _refused(request, work, exc)
    return _answer(request, work, "marketplace/_like_button.html")


@require_POST
def work_follow(request: HttpRequest, pk) -> HttpResponse:
    """Follow (``on=1``) or unfollow (``on=0``) the work's creator."""
    if not request.user.is_authenticated:
        return _to_login(request, _back(request, pk))
    work = _work(request, pk)
    try:
        if request.POST.get("on", "1") == "0":
            accounts_services.follow_delete(follower=request.user, followee=work.creator)
        else:
            accounts_services.follow_create(follower=request.user, followee=work.creator)
    except DomainError as exc:
        return _refused(request, work, exc)
    return _answer(request, work, "marketplace/_follow_button.html")


@replica_reads
@require_safe
def character_works(request: HttpRequest, pk) -> HttpResponse:
    """The published works made with a character, newest first, a page at a time: the
    fragment its page loads with htmx, or a page of its own without JavaScript."""
    character = licensing_selectors.character_visible_to(pk=pk, user=request.user)
    if character is None:
        raise Http404("No such character")
    page = Paginator(
        selectors.works_with_character(character_id=character.pk),
        selectors.CHARACTER_WORKS_PAGE,
    ).get_page(request.GET.get("page"))
    context = {
        "character": character,
        "page": page,
        "storylines": storyline_selectors.storylines_of_character(character_id=character.pk),
    }
    if request.htmx:
        return render(request, "marketplace/_character_works.html", context)
    return render(request, "marketplace/character_works.html", context)
