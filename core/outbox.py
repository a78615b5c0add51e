"""The transactional outbox: every job is written down before it is sent.

``enqueue()`` inserts an ``OutboxMessage`` in the caller's database transaction, so the
job exists exactly when the change that wants it commits, and never when it rolls back.
Once the transaction commits, the message is published to the broker at once and marked
sent. If the broker cannot take it (down, restarting, unreachable), the failure is
logged and recorded on the row, never raised to the user: beat's ``core.outbox_relay``
publishes every message left unsent a few seconds later, until the broker takes it.

Delivery is at least once: a message published just before its ``sent_at`` could be
saved is published again by the relay. Every task sent this way is idempotent (it loads
its row and returns if the work is done), so a duplicate repeats nothing.

Messages are sent by task name (``celery.signature``), never by importing the task, so
any app can enqueue any task without depending on the app that defines it."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta

from celery import chain, current_app, signature
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.models import OutboxMessage

log = logging.getLogger(__name__)


def enqueue(
    task_name: str,
    args: Sequence = (),
    kwargs: dict | None = None,
    *,
    queue: str = "",
    then: Iterable[str] = (),
) -> OutboxMessage:
    """Write the job in the current transaction and publish it once that commits.
    ``then`` names tasks to chain after it, each called with the same ``args`` (their
    results are not passed on). ``queue`` overrides the task's own queue (a single task
    only). Returns the stored message."""
    then = list(then)
    if queue and then:
        raise ValueError("a chain's tasks are routed to their own queues; give no queue")
    message = OutboxMessage.objects.create(
        task_name=task_name, args=list(args), kwargs=kwargs or {}, then=then, queue=queue
    )
    transaction.on_commit(functools.partial(_publish_committed, message.pk))
    return message


def _signature(message: OutboxMessage):
    args = list(message.args)
    if not message.then:
        return signature(message.task_name, args=args, kwargs=message.kwargs, app=current_app)
    return chain(
        signature(
            message.task_name, args=args, kwargs=message.kwargs, immutable=True, app=current_app
        ),
        *(signature(name, args=args, immutable=True, app=current_app) for name in message.then),
    )


def _send(message: OutboxMessage) -> None:
    # The message's id names the task (for a chain, its last task: the chain's result).
    options: dict = {"task_id": str(message.id)}
    if message.queue:
        options.update(queue=message.queue, routing_key=message.queue)
    if current_app.conf.task_always_eager:
        # Eager mode (tests, test mode with no worker): no broker to fail; the task runs
        # here and its errors surface as they did before the outbox.
        _signature(message).apply_async(**options)
        return
    with current_app.pool.acquire(block=True) as connection:
        # One attempt, no retries: a broker that is down is the relay's business, and
        # the caller (often a web request) must not wait out kombu's reconnection loop.
        connection.ensure_connection(max_retries=0)
        _signature(message).apply_async(connection=connection, retry=False, **options)


def _failed(message_id, exc: BaseException) -> None:
    log.warning("outbox: could not publish %s yet: %r", message_id, exc)
    OutboxMessage.objects.filter(pk=message_id).update(
        attempts=F("attempts") + 1, last_error=repr(exc)[:500]
    )


def _publish_committed(message_id) -> None:
    """Publish one committed message (on commit). Never raises: what fails here waits
    for the relay."""
    try:
        message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
        if message is None:
            return
        _send(message)
    except Exception as exc:
        if current_app.conf.task_always_eager:
            raise
        try:
            _failed(message_id, exc)
        except Exception:  # the database went too: the relay still finds the row
            log.exception("outbox: could not record the failure of %s", message_id)
        return
    OutboxMessage.objects.filter(pk=message_id).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )


def outbox_relay(*, batch: int | None = None) -> int:
    """Publish messages still unsent a few seconds after their transaction
    (``OUTBOX_RELAY_AFTER_SECONDS``: the on-commit publish had its chance), oldest first,
    one bounded batch. Rows are claimed with ``FOR UPDATE SKIP LOCKED``, so two relays
    running at once never send the same message. Stops at the first failure (the broker
    is down: the rest would fail the same way). Also forgets sent messages older than
    ``OUTBOX_KEEP_DAYS``. Returns how many were sent."""
    batch = batch or settings.OUTBOX_RELAY_BATCH
    cutoff = timezone.now() - timedelta(seconds=settings.OUTBOX_RELAY_AFTER_SECONDS)
    sent = 0
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, created_at__lte=cutoff)
            .order_by("created_at", "id")[:batch]
        )
        for message in due:
            try:
                _send(message)
            except Exception as exc:
                _failed(message.pk, exc)
                break
            OutboxMessage.objects.filter(pk=message.pk).update(
                sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
            )
            sent += 1
    _forget_sent()
    if sent:
        log.info("outbox: relayed %d message(s)", sent)
    return sent


def _forget_sent() -> None:
    cutoff = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    old = OutboxMessage.objects.filter(sent_at__lt=cutoff).order_by().values("pk")[:1000]
    OutboxMessage.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()


def outbox_pending() -> int:
    """How many messages wait to be sent (the status page, tests)."""
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()
