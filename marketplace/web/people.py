"""People's pages and the "Following" feed: a creator's profile (their counts, follow
button, their works and, on a tab of its own, their remixes) and the feed of the people
one follows."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from accounts import services as accounts_services
from core.errors import DomainError
from core.replicas import replica_reads
from marketplace import selectors, selectors_social
from marketplace.web.cards import feed_cards
from marketplace.web.social import _to_login
from marketplace.web.views import _with_social

TABS = ("works", "remixes")


@replica_reads
@require_safe
def profile(request: HttpRequest, pk) -> HttpResponse:
    """``/people/<id>/``: ``?tab=remixes`` for their remixes, ``?page=`` to page."""
    found = selectors_social.profile_of(pk=pk, viewer=request.user)
    if found is None:
        raise Http404("No such person")
    tab = request.GET.get("tab", "works")
    if tab not in TABS:
        tab = "works"
    page = Paginator(
        selectors_social.profile_works(person=found.person, remixes=tab == "remixes"),
        selectors_social.PROFILE_PAGE,
    ).get_page(request.GET.get("page"))
    return render(request, "marketplace/profile.html", {"profile": found, "tab": tab, "page": page})


@require_POST
def profile_follow(request: HttpRequest, pk) -> HttpResponse:
    """Follow (``on=1``) or unfollow (``on=0``) the person; back to ``next`` (a page of
    ours) or their page."""
    url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = reverse("marketplace:profile", args=[pk])
    if not request.user.is_authenticated:
        return _to_login(request, url)
    found = selectors_social.profile_of(pk=pk, viewer=request.user)
    if found is None:
        raise Http404("No such person")
    try:
        if request.POST.get("on", "1") == "0":
            accounts_services.follow_delete(follower=request.user, followee=found.person)
        else:
            accounts_services.follow_create(follower=request.user, followee=found.person)
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect(url)


@require_safe
def feed_following(request: HttpRequest) -> HttpResponse:
    """The works of the people you follow, newest first, paged like the feed; an empty
    tab suggests whom to follow. Signed out: log in first."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    payloads, next_cursor = selectors.feed_entries_page(
        cursor=request.GET.get("cursor"), followed_by=request.user
    )
    works = _with_social(feed_cards(payloads), request.user)
    context = {
        "works": works,
        "next_cursor": next_cursor,
        "tab": "following",
        "more_url": reverse("marketplace:feed_following"),
    }
    if request.htmx:
        return render(request, "marketplace/_feed_items.html", context)
    if not works:
        context["suggested"] = selectors_social.creators_to_follow(user=request.user)
    return render(request, "marketplace/feed.html", context)
