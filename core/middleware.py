"""Cross-cutting response rules."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
