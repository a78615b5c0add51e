"""The Celery app. Task defaults follow STYLE.md: a task is acknowledged only after
it finishes (acks_late) and is re-queued if its worker dies, so every task must be
idempotent. Messages are JSON only."""

import os
from pathlib import Path

from celery import Celery
from kombu import Exchange, Queue

from config.schedule import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

QUEUES = ("default", "render", "money")


AMQP_SCHEMES = ("amqp://", "amqps://", "pyamqp://")


def declared_queues(broker_url: str) -> list[Queue]:
    """The three queues, as the broker needs them. On RabbitMQ each is a durable quorum
    queue (replicated and kept on disk, so a broker restart loses nothing) behind a
    topic exchange, which lets a retry's countdown use RabbitMQ's native delayed
    delivery instead of a worker holding the message. On Redis (and the filesystem
    transport) a direct exchange: it delivers by routing key even when the binding keys
    were lost with the broker's data, where a topic exchange drops the message."""
    if broker_url.startswith(AMQP_SCHEMES):
        return [
            Queue(
                name,
                Exchange(name, type="topic"),
                routing_key=name,
                queue_arguments={"x-queue-type": "quorum"},
            )
            for name in QUEUES
        ]
    return [Queue(name, routing_key=name) for name in QUEUES]


def route_to_declared_queue(name, args, kwargs, options, task=None, **kw) -> dict | None:
    """Send a task to the queue it declares where it is defined
    (``@shared_task(name=..., on_queue="render")``). Celery deprecates a task's own
    ``queue`` attribute (no effect from 6.0), hence a name of our own, read here."""
    queue = getattr(task, "on_queue", None)
    if queue is None:
        return None
    return {"queue": queue, "routing_key": queue}


app = Celery("cocreate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_acks_on_failure_or_timeout=True,
    task_time_limit=15 * 60,
    task_soft_time_limit=14 * 60,
    task_track_started=True,
    worker_prefetch_multiplier=1,
    # A task running when the broker connection drops keeps running and is acknowledged
    # after the reconnect. With Redis the unacknowledged copy lives in Redis (the
    # `unacked` hash), not in the lost connection, so the late ack still finds it.
    # Cancelling instead (True) loses the task when Redis restarts: Celery terminates
    # the job, fails to record the cancellation in the (same, unreachable) Redis result
    # backend, then treats the terminated job as revoked and acknowledges, deleting the
    # only copy (tests/faults/test_redis_restart.py).
    worker_cancel_long_running_tasks_on_connection_loss=False,
    broker_connection_retry_on_startup=True,
    # Three queues so a payout never waits behind a video (DESIGN.md).
    task_default_queue="default",
    task_default_routing_key="default",
    # The queues themselves depend on the broker: see _queues_for_the_broker below.
    # Every task names its queue where it is defined (``on_queue=``); see below.
    task_routes=(route_to_declared_queue,),
    timezone="UTC",
)
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()


@app.on_after_configure.connect
def _queues_for_the_broker(sender: Celery, **kwargs) -> None:
    sender.conf.task_queues = declared_queues(sender.conf.broker_url or "")


@app.on_after_configure.connect
def _create_filesystem_broker_folders(sender: Celery, **kwargs) -> None:
    """The filesystem transport and result backend (the no-Redis fallback) need their
    folders to exist before the first message; any process may be first."""
    folders = [
        value
        for key, value in (sender.conf.broker_transport_options or {}).items()
        if key.endswith("_folder") or key.startswith("data_folder")
    ]
    backend = sender.conf.result_backend or ""
    if backend.startswith("file://"):
        folders.append(backend.removeprefix("file://"))
    for folder in folders:
        Path(folder).mkdir(parents=True, exist_ok=True)
