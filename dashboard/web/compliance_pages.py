"""The compliance pages: a person's for their likeness (that person only) and the
platform's (staff only). What the signed downloads hold, read at a glance for a chosen
period: decisions per day (or week, or month) allowed and refused, refusals per reason,
and on the platform's how long claims and disputes took to resolve; each chart drawn on
the server (core/charts.py) with a table of its data for screen readers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core import charts
from core.errors import DomainError
from dashboard.compliance import compliance_period
from licensing import selectors as licensing_selectors
from marketplace import selectors as marketplace_selectors

if TYPE_CHECKING:
    from accounts.models import User

DEFAULT_DAYS = 30
# The longest period drawn per day, then per week; longer ones are drawn per month, so
# a chart never has more than about 120 columns.
DAILY_UP_TO = 62
WEEKLY_UP_TO = 400


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _unit(start: datetime, end: datetime) -> str:
    days = (end - start).days
    if days <= DAILY_UP_TO:
        return "day"
    return "week" if days <= WEEKLY_UP_TO else "month"


def _next(day: date, unit: str) -> date:
    """The next bucket's first day; ``date.max`` past the calendar's end (year 9999)."""
    try:
        if unit == "day":
            return day + timedelta(days=1)
        if unit == "week":
            return day + timedelta(weeks=1)
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    except (OverflowError, ValueError):
        return date.max


def _first(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if unit == "month" else day


def _buckets(rows: list[tuple[datetime, int, int]], start, end, unit) -> list[tuple]:
    """Every bucket of the period, empty ones included: (start day, allowed, refused)."""
    found = {bucket.astimezone(UTC).date(): (allowed, refused) for bucket, allowed, refused in rows}
    out = []
    day = _first(start.date(), unit)
    while day < end.date():
        allowed, refused = found.get(day, (0, 0))
        out.append((day, allowed, refused))
        day = _next(day, unit)
    return out


def _label(day: date, unit: str) -> str:
    return f"{day:%b %Y}" if unit == "month" else f"{day:%d %b}"


def _decisions_chart(start, end, character_ids=None) -> dict:
    unit = _unit(start, end)
    rows = _buckets(
        licensing_selectors.decisions_per_period(
            start=start, end=end, unit=unit, character_ids=character_ids
        ),
        start,
        end,
        unit,
    )
    data = [
        charts.Datum(
            _label(day, unit),
            (allowed, refused),
            f"{_label(day, unit)}: {_plural(allowed + refused, 'decision')} "
            f"({allowed} allowed, {refused} refused)",
        )
        for day, allowed, refused in rows
    ]
    allowed = sum(row[1] for row in rows)
    refused = sum(row[2] for row in rows)
    return {
        "svg": charts.column_chart(data, series=("allowed", "refused")),
        "label": f"Policy decisions per {unit}: {allowed + refused} in total, "
        f"{allowed} allowed, {refused} refused",
        "unit": unit,
        "allowed": allowed,
        "refused": refused,
        "rows": rows,
    }


def _reasons_chart(start, end, character_ids=None) -> dict:
    reasons = [
        (code.replace("_", " ") or "unspecified", n)
        for code, n in licensing_selectors.refusal_codes(
            start=start, end=end, character_ids=character_ids
        )
    ]
    return {
        "svg": charts.bar_chart(
            [
                charts.Datum(label, (n,), f"{label}: {_plural(n, 'refusal')}", series="refused")
                for label, n in reasons
            ]
        ),
        "label": "Refusals per reason: " + "; ".join(f"{label} {n}" for label, n in reasons),
        "rows": reasons,
    }


def _period(request: HttpRequest) -> tuple[datetime, datetime]:
    today = datetime.now(UTC).date()
    return compliance_period(
        start=request.GET.get("from") or str(today - timedelta(days=DEFAULT_DAYS)),
        end=request.GET.get("to") or str(today + timedelta(days=1)),
    )


def _page(request: HttpRequest, context: dict, build) -> HttpResponse:
    """The page for the period asked; a bad period is a 400 with the form to fix it."""
    try:
        start, end = _period(request)
    except DomainError as exc:
        context["error"] = exc.detail
        return render(request, "dashboard/compliance_page.html", context, status=400)
    context.update(
        start=start, end=end, last_day=(end - timedelta(days=1)).date(), **build(start, end)
    )
    return render(request, "dashboard/compliance_page.html", context)


@login_required
def person_compliance_page(request: HttpRequest, user_id) -> HttpResponse:
    """A person's page about their likeness; anyone else's is not found (404)."""
    if request.user.pk != user_id:
        raise Http404("No such report")
    user = cast("User", request.user)
    ids = list(licensing_selectors.likenesses_of(user=user).values_list("pk", flat=True))

    def build(start, end) -> dict:
        return {
            "decisions": _decisions_chart(start, end, ids),
            "reasons": _reasons_chart(start, end, ids),
        }

    context = {"title": "Your likeness report", "scope": "likeness", "download_args": [user.pk]}
    return _page(request, context, build)


@login_required
def platform_compliance_page(request: HttpRequest) -> HttpResponse:
    """The platform's page across every rightsholder: staff only (404 for anyone else)."""
    if not request.user.is_staff:
        raise Http404("No such report")

    def build(start, end) -> dict:
        return {
            "decisions": _decisions_chart(start, end),
            "reasons": _reasons_chart(start, end),
            "resolution_times": marketplace_selectors.resolution_times(start=start, end=end),
        }

    context = {"title": "Platform compliance report", "scope": "platform", "download_args": []}
    return _page(request, context, build)
