"""Accepting an offer on the web, paying its fee at Checkout when one is due."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.money import format_bps, format_minor
from licensing import selectors as licensing_selectors
from licensing import services as licensing_services
from licensing.web.forms import AcceptForm
from payments import services

if TYPE_CHECKING:
    from licensing.models import Offer


def _price_changed_message(offer: Offer, exc: DomainError) -> str:
    current = licensing_selectors.current_offer(series=offer.series)
    if current is None:
        return f"Not accepted: {exc.detail}"
    terms = current.parsed_terms
    return (
        f"Not accepted: the terms changed. Version {current.version} now costs "
        f"{format_minor(terms.upfront_fee, terms.currency)} upfront and "
        f"{format_minor(terms.per_generation_fee, terms.currency)} per video, with a "
        f"{format_bps(terms.rev_share_bps)} revenue share. Nothing was charged; "
        "read the new terms and accept again if they suit you."
    )


@login_required
@require_POST
def offer_accept(request: HttpRequest, pk, offer_pk) -> HttpResponse:
    # A page opened before a newer version was published still posts the old version;
    # grant_accept judges the series' current version against the price agreed.
    offer = licensing_selectors.offer_acceptable(pk=offer_pk, character_id=pk)
    if offer is None:
        messages.error(request, "That offer is no longer available.")
        return redirect("licensing:character_detail", pk=pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The acceptance was incomplete; please try again.")
        return redirect("licensing:character_detail", pk=pk)
    try:
        acceptance = services.offer_accept_and_pay(
            offer=offer, by=request.user, gateway=services.stripe_gateway(), **form.cleaned_data
        )
    except licensing_services.PriceChanged as exc:
        messages.error(request, _price_changed_message(offer, exc))
        return redirect("licensing:character_detail", pk=pk)
    except DomainError as exc:
        messages.error(request, f"Not accepted: {exc.detail}")
        return redirect("licensing:character_detail", pk=pk)
    grant = acceptance.grant
    if acceptance.checkout_url:
        return redirect(acceptance.checkout_url)
    notes = {
        "active": f"Your licence for {grant.character.name} is active.",
        "pending_approval": (
            f"Requested. {grant.character.name}'s rightsholder will review your request."
        ),
        "pending_payment": "Accepted. Payment is needed before the licence becomes active. "
        + (acceptance.payment_problem or ""),
    }
    messages.success(request, notes.get(grant.status, "Accepted.").strip())
    return redirect("licensing:my_grants")
