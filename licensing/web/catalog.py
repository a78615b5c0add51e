"""Licensing pages for creators: the catalog, a character's page with its offers in
plain language, and their own licences."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.media import public_media_url
from core.replicas import replica_reads
from licensing import selectors, services
from licensing.enums import GrantStatus
from licensing.models import Character, Grant, Offer
from licensing.summary import price_points, summary_points
from licensing.web import forms

CATALOG_PAGE_SIZE = 24


def _bool_filter(value: str, yes: str, no: str) -> bool | None:
    return True if value == yes else False if value == no else None


# A card's fields read from its catalog document (licensing/services/catalog.py).
CARD_FIELDS = ("character_id", "payload", "romaji", "thumbnail")


def _page_offset(number: str | None) -> int | None:
    """Where the asked page starts, so its rows and the count come in one query (the
    paginator's own fallbacks, for a page past the end or not a number, read theirs)."""
    if number and number.isdigit() and int(number) >= 1:
        return (int(number) - 1) * CATALOG_PAGE_SIZE
    return None if number else 0


def _matched_alias(payload: dict, q: str) -> str | None:
    """The alias the term found (the first in text order), when the name itself does not
    hold it; matched as the search does (``icontains``: upper-cased, no wildcards)."""
    if not q:
        return None
    term = q.upper()
    if term in payload["name"].upper():
        return None
    found = [alias["text"] for alias in payload["aliases"] if term in alias["text"].upper()]
    return min(found) if found else None


def _card(row: tuple, *, q: str, licensed: set[str]) -> dict:
    """What a catalog card shows, from its document's stored payload: no model
    instance. The thumbnail of a listed (active) character is public, so its URL is
    signed ``public``, the same for every viewer."""
    character_id, payload, romaji, thumbnail = row
    offers = payload["offers"]
    return {
        "url": reverse("licensing:character_detail", kwargs={"pk": character_id}),
        "name": payload["name"],
        "kind": payload["kind"],
        "franchise": payload["franchise"],
        "owner": payload["owner"],
        "romaji": romaji,
        "thumbnail_url": public_media_url(thumbnail),
        "matched_alias": _matched_alias(payload, q),
        # The cheapest published offer (the payload keeps them by upfront fee).
        "offer": offers[0]["terms"] if offers else None,
        "licensed": str(character_id) in licensed,
    }


@replica_reads
def catalog(request: HttpRequest) -> HttpResponse:
    """The catalog search over its read model (``CatalogDocument``): a search page and
    its count in one query, cards built from the stored payloads."""
    form = forms.CatalogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    q = filters.get("q", "").strip()
    documents = selectors.catalog_documents(
        q=q,
        kind=filters.get("kind", ""),
        franchise=filters.get("franchise", "").strip(),
        commercial=_bool_filter(filters.get("use", ""), "commercial", "noncommercial"),
        free=_bool_filter(filters.get("price", ""), "free", "paid"),
    )
    # None only for a term holding a control character, which the middleware answers
    # with a 400 before this view: nothing matches it.
    rows = (
        []
        if documents is None
        else selectors.CatalogPayloads(
            documents,
            offset=_page_offset(request.GET.get("page")),
            limit=CATALOG_PAGE_SIZE,
            windowed=bool(q),
            fields=CARD_FIELDS,
        )
    )
    page = Paginator(rows, CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
    licensed = selectors.catalog_licensed_ids(
        user=request.user, character_ids=[row[0] for row in page.object_list]
    )
    page.object_list = [_card(row, q=q, licensed=licensed) for row in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    template = "licensing/_catalog_results.html" if request.htmx else "licensing/catalog.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "franchises": selectors.catalog_franchises(),
        },
    )


def offer_summary(offer: Offer, character: Character) -> list[str]:
    """The offer's terms in plain language, as its character's page shows them."""
    return summary_points(
        offer.parsed_terms, kind=character.kind, rightsholder=character.rightsholder_name
    )


def _offer_item(offer: Offer, character: Character) -> dict:
    """One offer as its character's page shows it, with the accept form stating the
    prices shown (price protection: a costlier current version is refused)."""
    terms = offer.parsed_terms
    return {
        "offer": offer,
        "terms": terms,
        "summary": offer_summary(offer, character),
        "prices": price_points(
            upfront_fee=terms.upfront_fee,
            per_generation_fee=terms.per_generation_fee,
            rev_share_bps=terms.rev_share_bps,
            currency=terms.currency,
        ),
        "form": forms.AcceptForm(
            initial={
                "max_fee": terms.upfront_fee,
                "max_rev_share_bps": terms.rev_share_bps,
                "max_generation_fee": terms.per_generation_fee,
            }
        ),
    }


@replica_reads
def character_detail(request: HttpRequest, pk) -> HttpResponse:
    character = selectors.character_visible_to(pk=pk, user=request.user)
    if character is None:
        raise Http404("No such character")
    can_edit = selectors.character_can_edit(character=character, user=request.user)
    offers = [_offer_item(offer, character) for offer in character.published_offers]
    held = set()
    if request.user.is_authenticated:
        held = set(
            selectors.grants_for_licensee(user=request.user)
            .filter(
                character=character, status__in=["active", "pending_payment", "pending_approval"]
            )
            .values_list("series", flat=True)
        )
    return render(
        request,
        "licensing/character_detail.html",
        {"character": character, "offers": offers, "can_edit": can_edit, "held_series": held},
    )


def grant_status_words(grant: Grant) -> tuple[str, str]:
    """The status a creator reads, and why: a request declined before it ever started
    reads "Declined" (with the rightsholder's reason), not "Revoked"."""
    if grant.status == GrantStatus.REVOKED and grant.activated_at is None:
        reason = grant.end_reason
        if reason == "declined by the rightsholder":  # declined without a reason
            reason = ""
        return "Declined", reason.removeprefix("declined: ")
    note = grant.end_reason if grant.status != GrantStatus.ACTIVE else ""
    return grant.get_status_display(), note


@login_required
def my_grants(request: HttpRequest) -> HttpResponse:
    grants = selectors.grants_for_licensee(user=request.user)
    rows = [
        {
            "grant": grant,
            "status": grant_status_words(grant),
            # What the creator agreed to pay at most when accepting (price protection).
            "agreed": price_points(
                upfront_fee=grant.max_fee,
                per_generation_fee=grant.max_generation_fee,
                rev_share_bps=grant.max_rev_share_bps,
                currency=grant.offer.currency,
            ),
        }
        for grant in grants
    ]
    return render(request, "licensing/my_grants.html", {"rows": rows})


@login_required
@require_POST
def grant_end(request: HttpRequest, pk) -> HttpResponse:
    # Only the licensee ends a licence; to anyone else it does not exist.
    grant = selectors.grants_for_licensee(user=request.user).filter(pk=pk).first()
    if grant is None:
        raise Http404("No such grant")
    try:
        services.grant_end_by_licensee(grant=grant, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Your licence for {grant.character.name} has ended.")
    return redirect("licensing:my_grants")
