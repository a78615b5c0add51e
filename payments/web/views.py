"""Payments pages: earnings (balance, statement, chart, CSV), payouts, Connect
onboarding, paying for a licence, tipping a work, and Checkout's return page."""

import csv
from collections import defaultdict

import stripe
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import selectors as accounts_selectors
from core import charts
from core.errors import DomainError
from core.money import Money
from licensing import selectors as licensing_selectors
from marketplace import selectors as marketplace_selectors
from payments import (
    selectors,
    selectors_payouts,
    selectors_statement,
    selectors_stats,
    services,
)
from payments.models import CheckoutSession, ConnectedAccount
from payments.sandbox.mode import sandbox_active
from payments.stripe_gateway import StripeGateway

STATEMENT_PAGE = 25
# The payouts the earnings page lists, newest first (all are in the CSV's ledger lines).
PAYOUTS_SHOWN = 10
# The amounts the top-up form offers (minor units); the API takes any within the limits.
TOP_UP_CHOICES = (500, 1_000, 2_000, 5_000, 10_000)


def _owner(request: HttpRequest):
    """The user, or with ?org=<slug> an organization they belong to (404 otherwise)."""
    slug = request.GET.get("org") or request.POST.get("org")
    if not slug:
        return request.user, None
    found = accounts_selectors.organization_for_member(slug=slug, user=request.user)
    if found is None:
        raise Http404("No such organization")
    return found[0], found[0]


def _chart(owner) -> dict:
    """Credits to the owner's balances in their most active currency, per day over the
    last 30 days (per week over 12 weeks when they are older), as column geometry for
    the server-drawn SVG: evenly spaced columns of a readable width, zeros included."""
    series: dict[str, list] = defaultdict(list)
    for day, currency, total in selectors_stats.earnings_by_day(owners=[owner]):
        series[currency].append((day, total))
    if not series:
        return {}
    currency, points = max(series.items(), key=lambda item: len(item[1]))
    unit, buckets = charts.time_buckets(points, end=timezone.localdate())
    name = (lambda d: f"{d:%-d %b}") if unit == "day" else (lambda d: f"week of {d:%-d %b}")
    chart = charts.column_chart(
        [
            charts.Datum(f"{day:%-d %b}", (total,), f"{name(day)}: {Money(total, currency)}")
            for day, total in buckets
        ],
        height=180,
    )
    earned = [(day, total) for day, total in buckets if total]
    total = sum(amount for _, amount in earned)
    best_day, best = max(earned, key=lambda point: point[1], default=(buckets[-1][0], 0))
    period = "last 30 days" if unit == "day" else "12 weeks"
    label = (
        f"Earnings per {unit} in {currency}, {period}: {Money(total, currency)} in total, "
        f"highest {Money(best, currency)} ({name(best_day)})"
    )
    return {
        "currency": currency,
        "unit": unit,
        "period": period,
        "svg": chart,
        "top": Money(chart.top_value, currency),
        "label": label,
        "rows": [
            (
                f"{day:%-d %b %Y}" if unit == "day" else f"Week of {day:%-d %b %Y}",
                Money(t, currency),
            )
            for day, t in earned
        ],
    }


@login_required
def earnings(request: HttpRequest) -> HttpResponse:
    owner, organization = _owner(request)
    kind = request.GET.get("kind") or None
    currency = request.GET.get("currency") or None
    entries = selectors.statement(owner=owner, kind=kind, currency=currency)
    if request.GET.get("format") == "csv":
        return _csv(entries, owner)
    page = Paginator(entries, STATEMENT_PAGE).get_page(request.GET.get("page"))
    balances = services.balances_for(owner=owner)
    outlook = selectors_payouts.payout_outlook(owner=owner)
    may_withdraw = organization is None or (
        accounts_selectors.membership_role(organization=organization, user=request.user) == "owner"
    )
    context = {
        "owner": owner,
        "organization": organization,
        "wallet": services.wallet_lines(user=owner) if organization is None else None,
        "fees_from_earnings": organization is None
        and selectors.wallet_fees_from_earnings(user=request.user),
        "top_up_amounts": TOP_UP_CHOICES,
        "balances": [
            (kind, selectors_statement.BALANCE_WORDS.get(kind, kind), money)
            for (kind, _currency), money in sorted(balances.items())
        ],
        "page": page,
        "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "lines": selectors_statement.statement_lines(entries=page.object_list, owner=owner),
        "chart": _chart(owner),
        "connected": outlook.connected,
        "outlook": outlook,
        "may_withdraw": may_withdraw,
        "test_mode": sandbox_active(),
        "kind": kind or "",
        "currency": currency or "",
        "memberships": accounts_selectors.organization_list_for_user(user=request.user),
        "payouts": [
            (
                payout,
                Money(payout.amount, payout.currency),
                selectors_statement.payout_status_words(payout),
            )
            for payout in selectors.payouts_for(owner=owner)[:PAYOUTS_SHOWN]
        ],
    }
    return render(request, "payments/earnings.html", context)


class _Echo:
    def write(self, value):
        return value


def _csv(entries, owner) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    header = [
        "date",
        "account",
        "amount_minor",
        "currency",
        "kind",
        "memo",
        "work_id",
        "transaction",
    ]
    rows = (
        [
            e.created_at.isoformat(),
            e.account.kind,
            e.amount,
            e.currency,
            e.transaction.kind,
            e.transaction.memo,
            e.work_id or "",
            e.transaction.key,
        ]
        for e in entries.iterator(chunk_size=2000)
    )
    response = StreamingHttpResponse(
        (writer.writerow(r) for r in [header, *rows]), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="cocreate-statement.csv"'
    return response


@login_required
@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    """Withdraw: pay the available balance out now (an organization's: owners only)."""
    _, organization = _owner(request)
    back = redirect(
        reverse("payments:earnings") + (f"?org={organization.slug}" if organization else "")
    )
    try:
        payouts = services.payout_withdraw(by=request.user, organization=organization)
    except services.PayoutRefused as exc:
        messages.error(request, f"Nothing was withdrawn: {exc.detail}")
        return back
    amounts = " and ".join(str(Money(p.amount, p.currency)) for p in payouts)
    messages.success(
        request,
        f"Withdrawal of {amounts} requested. It is on its way to your bank account; "
        "this page shows when Stripe confirms it.",
    )
    return back


@login_required
def connect(request: HttpRequest) -> HttpResponse:
    """Connect your bank: GET explains; POST sends the user to Stripe's onboarding."""
    _, organization = _owner(request)
    if request.method == "POST":
        try:
            url = services.connect_onboarding_link(
                by=request.user,
                organization=organization,
                gateway=StripeGateway.from_settings(),
                country=(request.POST.get("country") or "US").upper()[:2],
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
            return redirect("payments:connect")
        except stripe.StripeError as exc:
            failed = services.provider_failed(exc, doing="start connecting your bank account")
            messages.error(request, failed.detail)
            return redirect("payments:connect")
        return redirect(url)
    connected = ConnectedAccount.objects.filter(
        **({"organization": organization} if organization else {"user": request.user})
    ).first()
    return render(
        request, "payments/connect.html", {"connected": connected, "organization": organization}
    )


@login_required
def connect_return(request: HttpRequest) -> HttpResponse:
    messages.info(
        request, "Thanks. Stripe is checking your details; payouts start once it confirms."
    )
    return redirect("payments:earnings")


@login_required
@require_POST
def grant_pay(request: HttpRequest, pk) -> HttpResponse:
    grant = licensing_selectors.grants_for_licensee(user=request.user).filter(pk=pk).first()
    if grant is None:
        raise Http404("No such licence")
    try:
        session = services.grant_checkout_start(
            grant=grant, by=request.user, gateway=StripeGateway.from_settings()
        )
    except DomainError as exc:  # not payable now, or the provider did not answer
        messages.error(request, exc.detail)
        return redirect("licensing:my_grants")
    return redirect(session.url)


@login_required
@require_POST
def tip(request: HttpRequest, pk) -> HttpResponse:
    """Tip a published video: off to Checkout, or the refusal and its reason (your own
    video, a non-commercial one, an amount or currency we cannot take) with its 4xx."""
    work = marketplace_selectors.published_work(pk=pk)
    if work is None:
        raise Http404("No such work")
    try:
        session = services.tip_checkout_start(
            work=work,
            by=request.user,
            amount=request.POST.get("amount", ""),
            currency=request.POST.get("currency", "USD"),
            gateway=StripeGateway.from_settings(),
        )
    except DomainError as exc:
        return render(
            request,
            "payments/tip_refused.html",
            {"work": work, "reason": exc.detail},
            status=exc.status_code,
        )
    except stripe.StripeError as exc:
        messages.error(request, services.provider_failed(exc, doing="start the tip").detail)
        return redirect(work)
    return redirect(session.url)


@login_required
@require_POST
def wallet_top_up(request: HttpRequest) -> HttpResponse:
    """Add credits to your wallet: off to Checkout, or back with the reason."""
    try:
        session = services.wallet_top_up_start(
            user=request.user,
            amount=request.POST.get("amount", ""),
            currency=request.POST.get("currency", "USD"),
            gateway=StripeGateway.from_settings(),
        )
    except DomainError as exc:
        messages.error(request, f"Nothing was added: {exc.detail}")
        return redirect(reverse("payments:earnings") + "#wallet")
    return redirect(session.url)


@login_required
@require_POST
def wallet_settings(request: HttpRequest) -> HttpResponse:
    """Choose whether available earnings pay fees the wallet cannot."""
    chosen = request.POST.get("fees_from_earnings") == "on"
    services.wallet_settings_set(user=request.user, fees_from_earnings=chosen)
    messages.success(
        request,
        "Fees your wallet cannot cover will now be paid from your available earnings."
        if chosen
        else "Fees will be paid from your wallet only.",
    )
    return redirect(reverse("payments:earnings") + "#wallet")


@login_required
def checkout_done(request: HttpRequest) -> HttpResponse:
    """Stripe sends the payer here; the webhook does the work. Show where it stands."""
    session = CheckoutSession.objects.filter(
        stripe_session_id=request.GET.get("session", ""), payer=request.user
    ).first()
    if session is None:
        raise Http404("No such payment")
    return render(request, "payments/checkout_done.html", {"session": session})
