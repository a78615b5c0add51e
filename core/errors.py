"""The refusals services raise. Each carries a stable machine code and a readable
reason; the API turns them into ``{"code", "detail", "field"}`` (core.api), and the web
views show ``detail`` to the person.

Codes are part of the API: they are enum members (strings), the ones every app uses
here and each app's own in its ``enums.py``."""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from rest_framework import status


class ErrorCode(StrEnum):
    """Codes shared by every app."""

    INVALID = "invalid"
    REQUIRED = "required"
    DUPLICATE = "duplicate"
    NOT_FOUND = "not_found"
    EXPIRED = "expired"
    INVALID_STATE = "invalid_state"
    INVALID_TRANSITION = "invalid_transition"
    INVALID_FILTER = "invalid_filter"
    THROTTLED = "throttled"
    PERMISSION_DENIED = "permission_denied"
    UNAVAILABLE = "unavailable"
    INSUFFICIENT_FUNDS = "insufficient_funds"


class DomainError(Exception):
    """A refusal by a service, with a stable machine code and a readable reason."""

    code: str = ErrorCode.INVALID
    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, detail: str, *, code: str | None = None, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        if code:
            self.code = code

    def extra(self) -> dict:
        """Fields the API adds to the error shape for this refusal (none by default)."""
        return {}


class RateLimited(DomainError):
    """Too many requests of one kind: 429 with ``Retry-After`` (seconds)."""

    code = ErrorCode.THROTTLED
    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A service this request needs (the rate-limit counters' cache) did not answer: 503
    with ``Retry-After`` (seconds). Limits fail closed: no counter, no request."""

    code = ErrorCode.UNAVAILABLE
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after


class InsufficientFunds(DomainError):
    """A payment the request needs cannot be secured: 402 with how much is missing
    (``shortfall``, minor units of ``currency``). Raised by payments (a fee hold), and
    recognised by the apps below it, which cannot import payments."""

    code = ErrorCode.INSUFFICIENT_FUNDS
    status_code = status.HTTP_402_PAYMENT_REQUIRED

    def __init__(self, detail: str, *, shortfall: int, currency: str, top_up_url: str = ""):
        super().__init__(detail, field="wallet")
        self.shortfall = shortfall
        self.currency = currency
        self.top_up_url = top_up_url

    def extra(self) -> dict:
        return {
            "shortfall": self.shortfall,
            "currency": self.currency,
            "top_up_url": self.top_up_url,
        }


class NotPermitted(PermissionDenied):
    """The actor may not do this. A PermissionDenied, so a web view that does not catch
    it answers 403 with our 403 page; the API answers 403 in the error shape."""

    code = ErrorCode.PERMISSION_DENIED

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail
