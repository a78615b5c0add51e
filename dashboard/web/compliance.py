"""The compliance report download on the rightsholder's organization page."""

import json
from datetime import UTC, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.dateparse import parse_date

from accounts import selectors as accounts_selectors
from dashboard.compliance import compliance_csv, compliance_report


@login_required
def compliance_download(request: HttpRequest, slug: str) -> HttpResponse:
    """Any member of the organization may download its report (CSV or JSON)."""
    found = accounts_selectors.organization_for_member(slug=slug, user=request.user)
    if found is None:
        raise Http404("No such organization")
    organization = found[0]
    today = datetime.now(UTC).date()
    start = parse_date(request.GET.get("from", "")) or today - timedelta(days=30)
    end = parse_date(request.GET.get("to", "")) or today + timedelta(days=1)
    if end <= start:
        return HttpResponse(
            "The end date must be after the start date.", status=400, content_type="text/plain"
        )
    report = compliance_report(
        organization=organization,
        start=datetime.combine(start, time.min, tzinfo=UTC),
        end=datetime.combine(end, time.min, tzinfo=UTC),
    )
    fmt = "csv" if request.GET.get("format") == "csv" else "json"
    if fmt == "csv":
        response = HttpResponse(compliance_csv(report), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            json.dumps(report, ensure_ascii=False, indent=2), content_type="application/json"
        )
    name = f"cocreate-compliance-{organization.slug}-{start}-{end}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
