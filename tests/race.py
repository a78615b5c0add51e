"""Run one callable in many threads at once, each on its own database connection, the
way separate web processes or Celery workers would meet: a barrier releases them
together. Used by the concurrency tests (real PostgreSQL transactions, STYLE.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection

PARALLEL = 20


def race(work: Callable[[Any], Any], args: Sequence[Any], *, timeout: float = 120.0) -> list:
    """Call ``work(arg)`` for every arg, all in parallel threads started by one barrier.
    Returns what each call returned, or the exception it raised, in ``args`` order."""
    barrier = threading.Barrier(len(args))
    results: list[Any] = [None] * len(args)

    def run(index: int, arg: Any) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(arg)
        except Exception as exc:  # reported to the test as a result
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(args)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a racer did not finish"
    return results


def report(cap: str, *, granted: int, allowed: int, attempts: int) -> None:
    """One line of the concurrency figure (printed; run pytest with -s to see it)."""
    print(f"\nCAPS {cap}: granted {granted} / allowed {allowed} of {attempts} parallel requests")
