"""Abuse limits: one sliding-window counter per (action, person), kept in the cache.

The web views and the API share the counter: ``settings.RATE_LIMITS`` holds one rate
per action (``"generate": "30/h"``), the API applies it through ``ActionRateThrottle``
(``throttle_scope = "generate"``) and the web views through ``rate_limit_response``, and
both count under the same cache key, so a person cannot double their budget by
switching between the studio and the API. Counters live in the cache only: they are
shared by every web process (Redis in production) and reset when the cache is cleared.

Log-in, sign-up and the lockout after failed log-ins are django-allauth's own limits
(``ACCOUNT_RATE_LIMITS``); ``allauth_retry_after`` reads allauth's counters so that its
429 answers carry a truthful ``Retry-After`` too.
"""

from __future__ import annotations

import math
import re
import threading
import time
import uuid
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.throttling import BaseThrottle

from core.errors import RateLimited, Unavailable

# The cache failures that mean "the counters are out of reach", not a bug. Only Redis's:
# a builtin ConnectionError or TimeoutError may come from any other service a view calls.
CACHE_DOWN_ERRORS = (RedisConnectionError, RedisTimeoutError)
# How long a client is told to wait when the counters cannot be read.
UNAVAILABLE_RETRY_S = 30
UNAVAILABLE_DETAIL = "The service that counts requests is not answering; try again shortly."

_RATE = re.compile(r"^(\d+)/(\d*)([smhd])[a-z]*$")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WINDOW_NAMES = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}
# How a refusal names what was counted, per action.
_NOUNS = {
    "generate": ("generation request", "generation requests"),
    "screen": ("term check", "term checks"),
    "token": ("token request", "token requests"),
}


@dataclass(frozen=True)
class Rate:
    count: int
    window_s: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"30/h"``, ``"120/m"``, ``"5/10m"``: requests per (a multiple of) a second,
        minute, hour or day. DRF's format, with an optional multiplier."""
        match = _RATE.match(text.strip())
        if match is None:
            raise ValueError(f"not a rate: {text!r} (expected e.g. '30/h')")
        count, multiple, unit = match.groups()
        return cls(int(count), int(multiple or 1) * _PERIODS[unit])

    def describe_window(self) -> str:
        if self.window_s in _WINDOW_NAMES:
            return f"the last {_WINDOW_NAMES[self.window_s]}"
        return f"the last {duration_text(self.window_s)}"


def duration_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(seconds / 3600)
    return f"{hours} hours"


def rate_for(action: str) -> Rate | None:
    """The configured rate for ``action``, read when used so tests may override it."""
    text = settings.RATE_LIMITS.get(action)
    return Rate.parse(text) if text else None


def refusal_message(*, action: str, rate: Rate, retry_after: int) -> str:
    singular, plural = _NOUNS.get(action, ("request", "requests"))
    noun = singular if rate.count == 1 else plural
    return (
        f"You have made {rate.count} {noun} in {rate.describe_window()}; "
        f"try again in {duration_text(retry_after)}."
    )


def consume(*, action: str, ident: str) -> None:
    """Count one ``action`` by ``ident``, or raise RateLimited (with the seconds until
    the oldest counted request leaves the window) when the budget is spent. A refused
    request is not counted, so waiting the given time always works.

    Reading the window and counting the request are one step: in Redis one script
    (concurrent requests from every web process take turns on the server), elsewhere
    (the file or memory cache of a single-machine run) under a process lock."""
    rate = rate_for(action)
    if rate is None:
        return
    key = f"ratelimit:{action}:{ident}"
    now = time.time()
    try:
        oldest = _count_in_window(key, now=now, rate=rate)
    except CACHE_DOWN_ERRORS as exc:
        # Fail closed: a limit that cannot count lets nothing through.
        raise Unavailable(UNAVAILABLE_DETAIL, retry_after=UNAVAILABLE_RETRY_S) from exc
    if oldest is not None:
        retry_after = max(1, math.ceil(oldest + rate.window_s - now))
        raise RateLimited(
            refusal_message(action=action, rate=rate, retry_after=retry_after),
            retry_after=retry_after,
        )


# The sliding window as a sorted set of request times, trimmed, counted and added to in
# one step. Returns {1} when the request was counted, or {0, t} with t the time of the
# request whose leaving the window frees a place (the rate.count-th newest).
_WINDOW_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local n = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[3])
if n >= limit then
  local next_out = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  return {0, next_out[2]}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {1}
"""
_local_window = threading.Lock()


def _count_in_window(key: str, *, now: float, rate: Rate) -> float | None:
    """Count a request at ``now`` unless ``rate.count`` already fall in the window; if
    they do, return the time of the one whose leaving frees a place."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # Django's Redis cache has no compare-and-set; its client runs the script.
        client = backend._cache.get_client(key, write=True)
        counted, *rest = client.eval(
            _WINDOW_SCRIPT,
            1,
            backend.make_and_validate_key(key),
            repr(now),
            repr(now - rate.window_s),
            rate.count,
            f"{now!r}:{uuid.uuid4().hex}",
            rate.window_s + 1,
        )
        return None if counted else float(rest[0])
    with _local_window:
        history = [t for t in cache.get(key, []) if t > now - rate.window_s]
        if len(history) >= rate.count:
            # history is newest first: the rate.count-th newest is the next to expire.
            return history[rate.count - 1]
        cache.set(key, [now, *history], rate.window_s)
        return None


def ident_for(request: HttpRequest) -> str:
    """Who is counted: the signed-in user, else the client address (as allauth sees it,
    honouring ALLAUTH_TRUSTED_PROXY_COUNT)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{get_adapter().get_client_ip(request)}"


class ActionRateThrottle(BaseThrottle):
    """DRF throttle for ``view.throttle_scope``, on the same counter as the web views.
    A refusal raises RateLimited: 429 in the error shape, with Retry-After."""

    def allow_request(self, request, view) -> bool:
        action = getattr(view, "throttle_scope", None)
        if action:
            consume(action=action, ident=ident_for(request))
        return True


def rate_limit_response(
    request: HttpRequest, action: str, *, template: str = "429.html"
) -> HttpResponse | None:
    """For a web view: count one ``action`` and return None, or the 429 page (with
    Retry-After and a readable reason) when the budget is spent."""
    try:
        consume(action=action, ident=ident_for(request))
    except RateLimited as exc:
        return too_many_requests(
            request, detail=exc.detail, retry_after=exc.retry_after, template=template
        )
    except Unavailable as exc:
        return service_unavailable(request, detail=exc.detail, retry_after=exc.retry_after)
    return None


def too_many_requests(
    request: HttpRequest, *, detail: str, retry_after: int, template: str = "429.html"
) -> HttpResponse:
    response = render(request, template, {"detail": detail, "problems": [detail]}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def service_unavailable(request: HttpRequest, *, detail: str, retry_after: int) -> HttpResponse:
    response = render(request, "503.html", {"detail": detail}, status=503)
    response["Retry-After"] = str(retry_after)
    return response


# --- django-allauth's limits ----------------------------------------------------------

# The allauth action behind each page that answers 429 through ``handler429``.
_ALLAUTH_ACTIONS = {
    "account_login": "login",
    "account_signup": "signup",
    "account_reset_password": "reset_password",
    "account_reset_password_from_key": "reset_password_from_key",
    "account_reauthenticate": "reauthenticate",
    "mfa_reauthenticate": "reauthenticate",
    "account_change_password": "change_password",
    "account_email": "manage_email",
}
_FALLBACK_RETRY_S = 60


def allauth_retry_after(request: HttpRequest, *, action: str, key: str | None = None) -> int:
    """Seconds until allauth's limit on ``action`` lets this request through again,
    read from allauth's own counters (its cache keys and sliding windows). Rates keyed
    by something other than this client, user or ``key`` are assumed spent for their
    whole window."""
    rates = allauth_ratelimit.get_rates(app="allauth.account", action=action)
    now = time.time()
    waits = []
    for rate in rates:
        if rate.per == "key" and key is None:
            waits.append(rate.duration)
            continue
        try:
            cache_key = allauth_ratelimit.get_cache_key(
                request, app="allauth.account", action=action, rate=rate, key=key
            )
        except Exception:  # a per-user rate on an anonymous request
            waits.append(rate.duration)
            continue
        history = [t for t in cache.get(cache_key, []) if t > now - rate.duration]
        if len(history) >= rate.amount:
            waits.append(history[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(max(waits, default=_FALLBACK_RETRY_S)))


def handler429(request: HttpRequest) -> HttpResponse:
    """allauth's 429 (log-in, sign-up, password reset ... over their limits), as our
    page with Retry-After. allauth finds it as ``ROOT_URLCONF.handler429``."""
    match = getattr(request, "resolver_match", None)
    action = _ALLAUTH_ACTIONS.get(match.url_name if match else "", "")
    retry_after = allauth_retry_after(request, action=action) if action else _FALLBACK_RETRY_S
    return too_many_requests(
        request,
        detail=f"Too many attempts from here; try again in {duration_text(retry_after)}.",
        retry_after=retry_after,
    )
