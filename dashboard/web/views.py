"""The rightsholder dashboard's overview: cards, the server-drawn charts and the
characters table, for everything the user may view (any membership role, and their
own likenesses)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core import charts
from core.money import Money
from dashboard import selectors as dashboard_selectors
from dashboard.selectors import (
    PERIOD_DAYS,
    DashboardOverview,
    StorylineAnalytics,
    storyline_analytics,
)

if TYPE_CHECKING:
    from accounts.models import User


# What a refusal's term is called on the dashboard (the engine's Reason.term values).
TERM_LABELS = {
    "banned_words": "banned word",
    "banned_categories": "banned category",
    "banned_costars": "banned co-star",
    "territories": "territory",
    "max_rating": "rating",
    "commercial_use": "commercial use",
    "grant": "no active licence",
    "disallowed": "disallowed character",
    "status": "character unavailable",
    "allowed_actions": "action not allowed",
    "audience": "audience",
    "max_generations_per_licensee": "generation cap",
    "max_works": "works cap",
    "starts_at": "licence not started",
    "ends_at": "licence ended",
    "character": "unknown character",
    "max_stack_bps": "revenue share cap",
}


def term_label(term: str) -> str:
    """A refusal term for people: "banned_words" → "banned word"; a parent work's
    (reciprocal) term says so."""
    base = term.removeprefix("parent:")
    label = TERM_LABELS.get(base, base.replace("_", " "))
    return f"{label} (parent work)" if base != term else label


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _generations_chart(overview: DashboardOverview) -> dict:
    data = [
        charts.Datum(
            f"{day:%d %b}",
            (allowed, refused, total - allowed - refused),
            f"{day:%d %b}: {_plural(total, 'generation')} ({allowed} allowed, {refused} refused"
            + (
                f", {total - allowed - refused} not checked yet)"
                if total > allowed + refused
                else ")"
            ),
        )
        for day, total, allowed, refused in overview.generations
    ]
    allowed = sum(row[2] for row in overview.generations)
    refused = sum(row[3] for row in overview.generations)
    total = overview.generations_total
    busiest = max(overview.generations, key=lambda row: row[1])
    label = (
        f"Generations per day, last {PERIOD_DAYS} days: {total} in total, {allowed} allowed, "
        f"{refused} refused"
        + (f", busiest day {busiest[0]:%d %b} with {busiest[1]}" if total else "")
    )
    return {
        "svg": charts.column_chart(data, series=("allowed", "refused", "unchecked")),
        "label": label,
        "total": total,
        "allowed": allowed,
        "refused": refused,
        "rows": overview.generations,
    }


def _decisions_chart(overview: DashboardOverview) -> dict:
    allowed, refused = overview.decisions_allowed, overview.decisions_refused
    reasons = [(term_label(term), n) for term, n in overview.top_reasons]
    split = charts.bar_chart(
        [
            charts.Datum("Allowed", (allowed,), f"Allowed: {allowed}", series="allowed"),
            charts.Datum("Refused", (refused,), f"Refused: {refused}", series="refused"),
        ]
    )
    bars = charts.bar_chart(
        [
            charts.Datum(
                label, (n,), f"{label}: refused {_plural(n, 'generation')}", series="refused"
            )
            for label, n in reasons
        ]
    )
    reason_text = "; ".join(f"{label} {n}" for label, n in reasons)
    return {
        "split": split,
        "split_label": f"Policy decisions on generations, last {PERIOD_DAYS} days: "
        f"{allowed} allowed, {refused} refused",
        "bars": bars,
        "bars_label": f"Top refusal reasons: {reason_text}" if reasons else "",
        "allowed": allowed,
        "refused": refused,
        "reasons": reasons,
    }


def _earnings_chart(overview: DashboardOverview) -> dict | None:
    currency = overview.currency
    if currency is None:
        return None
    data = [
        charts.Datum(f"{day:%d %b}", (amount,), f"{day:%d %b}: {Money(amount, currency)}")
        for day, amount in overview.earnings
    ]
    total = Money(overview.earnings_total, currency)
    svg = charts.column_chart(data)
    return {
        "svg": svg,
        "currency": currency,
        "total": total,
        "top": Money(svg.top_value, currency),
        "label": f"Earnings per day in {currency}, last {PERIOD_DAYS} days: {total} in total, "
        f"highest day {Money(svg.top_value, currency)}",
        "rows": [(day, Money(amount, currency)) for day, amount in overview.earnings],
    }


def _top_works_chart(overview: DashboardOverview) -> dict | None:
    currency = overview.currency
    if currency is None or not overview.top_works:
        return None
    rows = [(work, Money(total, currency)) for work, total in overview.top_works]
    svg = charts.bar_chart(
        [
            charts.Datum(work.title, (money.amount,), f"{work.title}: {money}", str(money))
            for work, money in rows
        ],
        value_width=90,
    )
    listed = "; ".join(f"{work.title} {money}" for work, money in rows)
    return {
        "svg": svg,
        "currency": currency,
        "label": f"Top works by your revenue in {currency}: {listed}",
        "rows": rows,
    }


# What refused a take, for people (storylines' own codes; the licences' by term_label).
STORYLINE_REFUSALS = {
    "storyline_closed": "storyline closed",
    "storyline_not_started": "not started yet",
    "storyline_ended": "storyline ended",
    "take_too_long": "take too long",
    "storyline_character_not_allowed": "character not allowed",
    "storyline_wrong_offer": "licence under another offer",
    "storyline_no_character": "none of its characters",
    "unlicensed_character": "no active licence",
    "insufficient_funds": "wallet too low",
}


def _storyline_charts(items: list[StorylineAnalytics]) -> list[dict]:
    charts_ = []
    for item in items:
        data = [
            charts.Datum(f"{day:%d %b}", (n,), f"{day:%d %b}: {_plural(n, 'take')}")
            for day, n in item.days
        ]
        in_period = sum(n for _, n in item.days)
        charts_.append(
            {
                "storyline": item.storyline,
                "svg": charts.column_chart(data),
                "label": f"Takes of {item.storyline.title} per day, last {PERIOD_DAYS} days: "
                f"{in_period} in total",
                "takes_total": item.takes_total,
                "rows": item.days,
                "refusals": [
                    (STORYLINE_REFUSALS.get(code, term_label(code)), n) for code, n in item.refusals
                ],
                "earnings": [Money(amount, cur) for cur, amount in sorted(item.earnings.items())],
            }
        )
    return charts_


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = cast("User", request.user)  # login_required
    overview = dashboard_selectors.dashboard_overview(user=user)
    scope = overview.scope
    context: dict = {
        "overview": overview,
        "scope": scope,
        "characters": scope.characters,
        "memberships": scope.memberships,
        "period_days": PERIOD_DAYS,
        "pending_count": overview.pending_licences + overview.pending_works,
    }
    if scope.characters:
        context.update(
            generations=_generations_chart(overview),
            decisions=_decisions_chart(overview),
            earnings=_earnings_chart(overview),
            top_works=_top_works_chart(overview),
            available=[Money(amount, cur) for cur, amount in sorted(overview.available.items())],
            storylines=_storyline_charts(storyline_analytics(user=user)),
        )
    return render(request, "dashboard/overview.html", context)
