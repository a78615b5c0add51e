"""The Celery app the fault tests' workers run (``celery -A tests.faults.worker_app``):
the production app from config/celery.py, unchanged, plus two test-only additions.

- The Redis transport gives up on an unacknowledged message after its visibility
  timeout (config/settings: one hour in production, longer than any task may run).
  A worker killed with SIGKILL cannot requeue what it held, so the next worker
  restores it only after that timeout. The fault tests shorten the timeout to
  ``FAULT_VISIBILITY_TIMEOUT`` seconds (longer than any task takes in the tests) and
  sweep every second, so "restored after the timeout" happens within the test.
- A ``task_prerun`` handler kills the whole worker (SIGKILL to its process group, the
  main process and the pool child alike) when the task about to run is named by a file
  in ``FAULT_KILL_DIR``. It deletes the file first, so it kills once: the next worker
  started the same way runs the task.
- A ``task_prerun`` handler pauses the worker for the number of seconds written in a
  file named after the task in ``FAULT_PAUSE_DIR`` (once, like the kill), so a test can
  break something while that task runs.
- With ``FAULT_SWEEP_SECONDS``, beat (``celery -A tests.faults.worker_app beat``) runs
  only the durable-jobs schedule (the outbox relay and the sweepers), each that often,
  instead of every few seconds to minutes."""

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

from celery.signals import task_prerun

from config.celery import app

app.conf.broker_transport_options = {
    **(app.conf.broker_transport_options or {}),
    "visibility_timeout": int(os.environ.get("FAULT_VISIBILITY_TIMEOUT", "20")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}


if os.environ.get("FAULT_SWEEP_SECONDS"):
    _every = timedelta(seconds=float(os.environ["FAULT_SWEEP_SECONDS"]))
    app.conf.beat_schedule = {
        name: {**entry, "schedule": _every, "options": {"expires": _every.total_seconds()}}
        for name, entry in app.conf.beat_schedule.items()
        if name in ("outbox-relay", "generation-sweep", "payments-sweep")
    }


@task_prerun.connect
def _pause_the_worker_at_a_named_task(sender=None, **kwargs) -> None:
    folder = os.environ.get("FAULT_PAUSE_DIR")
    if not folder or sender is None:
        return
    marker = Path(folder) / sender.name
    try:
        seconds = float(marker.read_text() or "0")
        marker.unlink()
    except FileNotFoundError:
        return
    (Path(folder) / f"{sender.name}.paused").touch()
    time.sleep(seconds)


@task_prerun.connect
def _kill_the_worker_at_a_named_task(sender=None, **kwargs) -> None:
    folder = os.environ.get("FAULT_KILL_DIR")
    if not folder or sender is None:
        return
    try:
        (Path(folder) / sender.name).unlink()
    except FileNotFoundError:
        return
    os.killpg(os.getpgid(0), signal.SIGKILL)


__all__ = ["app"]
