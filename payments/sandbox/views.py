"""The sandbox's pages: what Stripe's hosted Checkout and Connect onboarding would show,
inside Cocreate and labelled as test mode. Like Stripe's, they need no Cocreate log-in:
the unguessable session or link id in the address is the key. A 404 unless in test
mode."""

from __future__ import annotations

import functools

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.money import format_minor
from payments.sandbox import actions, store
from payments.sandbox.cards import DECLINES, SUCCESS
from payments.sandbox.forms import CardForm, OnboardingForm
from payments.sandbox.mode import sandbox_active


def test_mode_only(view):
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not sandbox_active():
            raise Http404("The payments sandbox runs only in test mode.")
        return view(request, *args, **kwargs)

    return wrapper


def _session_row(session_id: str):
    try:
        return actions.checkout_refresh(session_id=session_id)
    except store.StripeFail:
        raise Http404("No such checkout session") from None


@test_mode_only
def checkout(request: HttpRequest, session_id: str) -> HttpResponse:
    row = _session_row(session_id)
    form = CardForm(initial={"email": row.data["customer_email"] or ""})
    if request.method == "POST":
        form = CardForm(request.POST)
        if form.is_valid():
            try:
                payment = actions.checkout_pay(session_id=session_id, **form.cleaned_data)
            except actions.CheckoutClosed:
                pass  # paid in another tab, or expired: the page says which
            else:
                if payment.decision.ok:
                    return redirect(payment.redirect_to)
                form.add_error(payment.decision.field, payment.decision.message)
        row = _session_row(session_id)
    session = row.data
    return render(
        request,
        "payments/sandbox/checkout.html",
        {
            "session": session,
            "items": row.private.get("line_items") or [],
            "total": format_minor(session["amount_total"], session["currency"]),
            "form": form,
            "success_cards": list(SUCCESS),
            "decline_cards": [
                (number, code.replace("_", " ")) for number, (code, _) in sorted(DECLINES.items())
            ],
        },
        status=400 if form.errors else 200,
    )


@test_mode_only
def onboarding(request: HttpRequest, link_id: str) -> HttpResponse:
    try:
        _link, account = actions.account_link_open(link_id=link_id)
    except store.StripeFail:
        raise Http404("No such account link") from None
    except actions.LinkExpired as expired:
        return redirect(expired.refresh_url)
    form = OnboardingForm()
    if request.method == "POST":
        form = OnboardingForm(request.POST)
        if form.is_valid():
            try:
                return_url = actions.account_onboard(
                    link_id=link_id,
                    name=form.cleaned_data["name"],
                    account_number=form.cleaned_data["account_number"],
                )
            except actions.LinkExpired as expired:
                return redirect(expired.refresh_url)
            return redirect(return_url)
    return render(
        request,
        "payments/sandbox/onboarding.html",
        {"account": account.data, "form": form},
        status=400 if form.errors else 200,
    )
