"""Operational tasks (a ping to prove a worker is alive, a heartbeat for beat) and the
errors every app's tasks retry."""

import time

from botocore.exceptions import HTTPClientError
from celery import shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

from core import outbox

HEARTBEAT_CACHE_KEY = "ops:beat-heartbeat"

# Errors worth retrying a task for: the database, the broker or the object store
# (botocore's connection errors and timeouts) went away for a moment.
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    HTTPClientError,
)


@shared_task(name="core.ping", on_queue="default", expires=300, time_limit=30, soft_time_limit=25)
def ping(token: str) -> dict:
    """Answer with the token and the time, proving a worker consumed the message."""
    return {"pong": token, "at": time.time()}


@shared_task(
    name="core.heartbeat", on_queue="default", expires=55, time_limit=30, soft_time_limit=25
)
def heartbeat() -> float:
    """Record that beat scheduled and a worker ran this; the status page shows it."""
    now = time.time()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    return now


@shared_task(
    name="core.outbox_relay",
    on_queue="default",
    acks_late=True,
    expires=5,
    time_limit=60,
    soft_time_limit=50,
)
def outbox_relay() -> int:
    """Publish the outbox messages their on-commit publish could not (beat, every few
    seconds)."""
    return outbox.outbox_relay()
