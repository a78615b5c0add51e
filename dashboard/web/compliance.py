"""The compliance report downloads: an organization's (its members), a person's for
their likeness (that person only), both signed and streamed."""

from datetime import UTC, datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse

from accounts import selectors as accounts_selectors
from core.errors import DomainError
from dashboard.compliance import compliance_export, compliance_period
from dashboard.export_signing import export_signing_refusal
from dashboard.platform_report import platform_export


def _download(request: HttpRequest, owner, name: str) -> HttpResponse:
    """``owner``'s signed report (the platform's for None), for the period asked."""
    today = datetime.now(UTC).date()
    try:
        start, end = compliance_period(
            start=request.GET.get("from") or str(today - timedelta(days=30)),
            end=request.GET.get("to") or str(today + timedelta(days=1)),
        )
    except DomainError as exc:
        return HttpResponse(exc.detail, status=400, content_type="text/plain; charset=utf-8")
    refusal = export_signing_refusal()
    if refusal:
        return HttpResponse(
            f"Exports cannot be signed right now: {refusal}.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    fmt = "csv" if request.GET.get("format") == "csv" else "json"
    response = StreamingHttpResponse(
        compliance_export(owner=owner, start=start, end=end, fmt=fmt)
        if owner is not None
        else platform_export(start=start, end=end, fmt=fmt),
        content_type="text/csv; charset=utf-8" if fmt == "csv" else "application/json",
    )
    filename = f"cocreate-compliance-{name}-{start.date()}-{end.date()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def compliance_download(request: HttpRequest, slug: str) -> HttpResponse:
    """Any member of the organization may download its report (CSV or JSON)."""
    found = accounts_selectors.organization_for_member(slug=slug, user=request.user)
    if found is None:
        raise Http404("No such organization")
    return _download(request, found[0], found[0].slug)


@login_required
def person_compliance_download(request: HttpRequest, user_id) -> HttpResponse:
    """A person's report on their own likeness; anyone else's is not found (404)."""
    if request.user.pk != user_id:
        raise Http404("No such report")
    return _download(request, request.user, "likeness")


@login_required
def platform_compliance_download(request: HttpRequest) -> HttpResponse:
    """The platform report across every rightsholder: staff only (404 for anyone else)."""
    if not request.user.is_staff:
        raise Http404("No such report")
    return _download(request, None, "platform")
