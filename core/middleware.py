"""Cross-cutting response rules."""

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from core.errors import ErrorCode
from core.ratelimit import (
    CACHE_DOWN_ERRORS,
    UNAVAILABLE_DETAIL,
    UNAVAILABLE_RETRY_S,
    service_unavailable,
)

# C0 and C1 control characters and DEL (Unicode category Cc): no search, filter or
# session id holds one, and a NUL reaching PostgreSQL is an error, not a query.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _error(request: HttpRequest, *, status: int, code: str, detail: str, field: str | None):
    """The error shape for the API, a page for people."""
    if _is_api(request):
        return JsonResponse({"code": code, "detail": detail, "field": field}, status=status)
    return render(request, f"{status}.html", {"detail": detail}, status=status)


class QueryControlCharactersMiddleware:
    """A query parameter (name or value) carrying a control character answers 400 naming
    the parameter, before any view, filter or database sees it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            if _CONTROL.search(name) or any(_CONTROL.search(value) for value in values):
                shown = _CONTROL.sub("?", name)
                return _error(
                    request,
                    status=400,
                    code=ErrorCode.INVALID,
                    detail=f"'{shown}' must not contain control characters.",
                    field=shown,
                )
        return self.get_response(request)


class CacheUnavailableMiddleware:
    """A view that cannot reach the cache (Redis down: allauth's log-in limits, sessions
    in production) answers 503 with Retry-After instead of a 500. core.ratelimit's own
    limits raise core.errors.Unavailable, which the API and the pages answer the same way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, CACHE_DOWN_ERRORS):
            return None
        if _is_api(request):
            response: HttpResponse = JsonResponse(
                {"code": ErrorCode.UNAVAILABLE, "detail": UNAVAILABLE_DETAIL, "field": None},
                status=503,
            )
            response["Retry-After"] = str(UNAVAILABLE_RETRY_S)
            return response
        return service_unavailable(
            request, detail=UNAVAILABLE_DETAIL, retry_after=UNAVAILABLE_RETRY_S
        )


class RetryAfterMiddleware:
    """A request refused by a rate limit answers 429 with Retry-After.

    allauth reports its log-in lockout as a form error on an otherwise ordinary page;
    accounts.adapter.AccountAdapter marks the request with the seconds left, and this
    turns that page into a 429 carrying them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        retry_after = getattr(request, "rate_limited_retry_after", None)
        if retry_after is not None and response.status_code < 300:
            response.status_code = 429
            response.reason_phrase = "Too Many Requests"
        if response.status_code == 429 and "Retry-After" not in response and retry_after:
            response["Retry-After"] = str(retry_after)
        return response
