"""Domain events: how an app tells the apps above it what happened, without importing
them.

Apps depend one way (README, "Architecture"). When a lower app's change must move
something a higher app owns (an ended licence delists works, a settled dispute moves
escrowed money), the lower app publishes an event: a frozen dataclass of ids and plain
values, declared in its ``events.py``. The higher app subscribes to it in its own
``events.py``, which its ``AppConfig.ready()`` imports: that is the one place each app
connects its handlers.

A handler runs at one of two moments, chosen when it subscribes:

- ``IN_TRANSACTION``: at once, inside the publisher's database transaction, so it is
  part of the same unit of work. If it raises, the publisher's change is rolled back
  with it. For effects that must hold together with the change (money released with the
  dispute that held it; works delisted with the licence they relied on).
- ``ON_COMMIT``: after the publisher's transaction commits, never if it rolls back. For
  effects outside the database (enqueueing work, e-mail). A failure is logged and does
  not undo the committed change.

Handlers run in the order they subscribed. Publishing with no subscriber does nothing.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from django.db import transaction

log = logging.getLogger(__name__)

E = TypeVar("E")


class When(StrEnum):
    IN_TRANSACTION = "in_transaction"
    ON_COMMIT = "on_commit"


IN_TRANSACTION = When.IN_TRANSACTION
ON_COMMIT = When.ON_COMMIT

_handlers: dict[type, list[tuple[Callable[[Any], None], When]]] = defaultdict(list)


def subscribe(event_type: type[E], *, when: When) -> Callable:
    """Decorator: call the function with every ``event_type`` published from now on.
    Subscribing the same function twice to one event type is a no-op."""

    def register(handler: Callable[[E], None]) -> Callable[[E], None]:
        if (handler, when) not in _handlers[event_type]:
            _handlers[event_type].append((handler, when))
        return handler

    return register


def publish(event: object) -> None:
    """Hand ``event`` to its subscribers: in-transaction ones now, inside one atomic
    block with the caller's work; on-commit ones once the caller's transaction commits."""
    handlers = list(_handlers.get(type(event), ()))
    if not handlers:
        return
    with transaction.atomic():
        for handler, when in handlers:
            if when is When.IN_TRANSACTION:
                handler(event)
            else:
                transaction.on_commit(functools.partial(_run_after_commit, handler, event))


def _run_after_commit(handler: Callable[[Any], None], event: object) -> None:
    try:
        handler(event)
    except Exception:
        log.exception("%s failed handling %r after commit", handler.__qualname__, event)


def subscribers(event_type: type) -> list[str]:
    """The qualified names of ``event_type``'s handlers (for tests and the README)."""
    return [f"{h.__module__}.{h.__qualname__}" for h, _ in _handlers.get(event_type, ())]
