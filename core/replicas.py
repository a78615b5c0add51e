"""Read replicas (README, "Read replicas"): which database each query reads from.

With ``DATABASE_REPLICA_URL`` set there is a second database alias, ``replica``, a
streaming copy of the primary that may lag it. A query reads from the replica only when
all of these hold, and from the primary (``default``) otherwise:

- it runs inside a request to a view marked ``@replica_reads`` (the catalog, the feed,
  the public character and work pages and their API), by a safe method (GET, HEAD);
- that request has not written anything yet (a read after a write in the same request
  would otherwise miss the write), and no transaction is open on the primary (a read
  inside a transaction is part of a write);
- the model is not an identity model (users, sessions, tokens, log-in records): a
  session or token issued a moment ago must work on the next request;
- the reader has not written anything in the last ``REPLICA_STICKY_SECONDS``: an unsafe
  request that wrote marks its user (in the cache) and its browser (a signed cookie), so
  the person who just changed something reads their change from the primary while the
  replica catches up (read-your-own-writes). Everyone else may read the replica.

Writes always go to the primary; migrations run on the primary only.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse

from core.ratelimit import CACHE_DOWN_ERRORS

PRIMARY = "default"
REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
STICKY_COOKIE = "cocreate_wrote"
_STICKY_SALT = "core.replicas.wrote"
# Identity is read from the primary, always (see the module's docstring).
PRIMARY_ONLY_APPS = frozenset({"auth", "authtoken", "sessions", "account", "mfa", "contenttypes"})

V = TypeVar("V")


def replica_reads(
    view: V | None = None, *, unless: Callable[[HttpRequest], bool] | None = None
) -> Any:
    """Mark a view (a function, or a class-based view's class) whose safe requests may
    read from the replica: public pages that tolerate a moment's lag. ``unless(request)``
    true keeps a request on the primary (a listing of the reader's own things)."""

    def mark(target: V) -> V:
        target.replica_reads = unless or _always  # type: ignore[attr-defined]
        return target

    return mark(view) if view is not None else mark


def _always(request: HttpRequest) -> bool:
    return False


def _marked(view_func: Callable[..., Any], request: HttpRequest) -> bool:
    unless = getattr(view_func, "replica_reads", None)
    if unless is None:
        view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
        unless = getattr(view_class, "replica_reads", None)
    return unless is not None and not unless(request)


def _sticky_key(user_pk: Any) -> str:
    return f"replica:wrote:{user_pk}"


@dataclass
class _RequestReads:
    """What the router knows of the request being served."""

    request: HttpRequest
    replica_allowed: bool = False
    wrote: bool = False
    _recent_writer: bool | None = None

    def recent_writer(self) -> bool:
        """Whether this reader wrote within the sticky window: read once, on the first
        query that could go to the replica (after DRF has authenticated a token)."""
        if self._recent_writer is None:
            self._recent_writer = _wrote_recently(self.request)
        return self._recent_writer


_current: ContextVar[_RequestReads | None] = ContextVar("replica_reads", default=None)


def _wrote_recently(request: HttpRequest) -> bool:
    window = settings.REPLICA_STICKY_SECONDS
    if request.get_signed_cookie(STICKY_COOKIE, default=None, salt=_STICKY_SALT, max_age=window):
        return True
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    try:
        return cache.get(_sticky_key(user.pk)) is not None
    except CACHE_DOWN_ERRORS:
        return True  # without the cache we cannot tell: the primary is always right


def _mark_writer(request: HttpRequest, response: HttpResponse) -> None:
    window = settings.REPLICA_STICKY_SECONDS
    response.set_signed_cookie(
        STICKY_COOKIE,
        str(int(time.time())),
        salt=_STICKY_SALT,
        max_age=window,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Without the cache, the cookie still keeps a browser on the primary.
        with contextlib.suppress(*CACHE_DOWN_ERRORS):
            cache.set(_sticky_key(user.pk), int(time.time()), timeout=window)


class ReplicaRouter:
    """The database router (settings.DATABASE_ROUTERS)."""

    def db_for_read(self, model, **hints) -> str:
        reads = _current.get()
        if reads is None or not reads.replica_allowed or reads.wrote:
            return PRIMARY
        meta = model._meta
        if meta.app_label in PRIMARY_ONLY_APPS or meta.label == settings.AUTH_USER_MODEL:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        if reads.recent_writer():
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints) -> str:
        reads = _current.get()
        if reads is not None:
            reads.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # The replica holds the primary's rows: an object read from either may relate
        # to one from the other.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == PRIMARY


class ReplicaReadsMiddleware:
    """Opens the request's routing context, allows the replica for marked views' safe
    requests (when ``REPLICA_READS`` is on), and marks a writer sticky after an unsafe
    request that wrote."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reads = _RequestReads(request=request)
        token = _current.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if reads.wrote and request.method not in SAFE_METHODS and settings.REPLICA_READS:
            _mark_writer(request, response)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        reads = _current.get()
        if (
            reads is not None
            and settings.REPLICA_READS
            and request.method in SAFE_METHODS
            and _marked(view_func, request)
        ):
            reads.replica_allowed = True
        return None
