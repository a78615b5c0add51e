"""Operational tasks: a ping to prove a worker is alive and a heartbeat for beat."""

import time

from celery import shared_task
from django.core.cache import cache

HEARTBEAT_CACHE_KEY = "ops:beat-heartbeat"


@shared_task(name="config.ping", expires=300, time_limit=30, soft_time_limit=25)
def ping(token: str) -> dict:
    """Answer with the token and the time, proving a worker consumed the message."""
    return {"pong": token, "at": time.time()}


@shared_task(name="config.heartbeat", expires=55, time_limit=30, soft_time_limit=25)
def heartbeat() -> float:
    """Record that beat scheduled and a worker ran this; the status page shows it."""
    now = time.time()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    return now
