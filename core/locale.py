"""The locale amounts and dates are shown in: the request's, negotiated from the browser's
Accept-Language, without changing the language of the interface (which stays English).
Code that runs outside a request (tasks, e-mails, management commands) formats in
``settings.FORMAT_LOCALE``."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from functools import cache

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation.trans_real import parse_accept_lang_header

_current: ContextVar[str | None] = ContextVar("format_locale", default=None)


def format_locale() -> str:
    """The locale of the request being served, else the configured default."""
    return _current.get() or settings.FORMAT_LOCALE


@cache
def _known(tag: str) -> str | None:
    """``tag`` ("ja-JP", "fr", "en-gb") as a Babel locale name ("ja_JP", "fr", "en_GB"),
    or None if Babel has no data for it."""
    try:
        return str(Locale.parse(tag, sep="-"))
    except (ValueError, UnknownLocaleError):
        return None


def negotiate(accept_language: str) -> str:
    """The first locale in an Accept-Language header that Babel knows, else the default."""
    for tag, _quality in parse_accept_lang_header(accept_language[:500]):
        if tag == "*":
            continue
        known = _known(tag)
        if known:
            return known
    return settings.FORMAT_LOCALE


class FormatLocaleMiddleware:
    """Sets the locale amounts are formatted in for the rest of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        locale = negotiate(request.headers.get("Accept-Language", ""))
        request.format_locale = locale  # type: ignore[attr-defined]
        token = _current.set(locale)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
