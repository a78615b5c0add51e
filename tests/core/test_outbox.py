"""The transactional outbox (core/outbox.py): a job exists exactly when the transaction
that wants it commits, is published at once when the broker is up, and is kept and
relayed later when it is not."""

import threading
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from config.celery import app
from core import outbox
from core.models import OutboxMessage


def _drain(queue: str) -> list[dict]:
    """Take every message waiting in ``queue`` on this process's broker: each one's
    task name, id and args."""
    taken = []
    with app.connection_for_read() as connection:
        channel = connection.default_channel
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            args, _kwargs, _embed = message.decode()
            taken.append({"task": message.headers["task"], "id": message.headers["id"],
                          "args": args})  # fmt: skip
    return taken


@pytest.fixture
def empty_default_queue(db):
    _drain("default")
    yield
    _drain("default")


@pytest.mark.django_db(transaction=True)
def test_a_job_is_published_once_its_transaction_commits(empty_default_queue):
    # when
    with transaction.atomic():
        message = outbox.enqueue("core.ping", ["hello"])
        # then: nothing leaves before the commit
        assert _drain("default") == []

    # then: published once, with the message's id as the task's, and marked sent
    assert _drain("default") == [{"task": "core.ping", "id": str(message.pk), "args": ["hello"]}]
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1 and message.last_error == ""


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_transaction_rolls_back_never_exists(empty_default_queue):
    # when
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue("core.ping", ["never"])
        raise RuntimeError("the change failed")

    # then
    assert not OutboxMessage.objects.exists()
    assert _drain("default") == []


@pytest.mark.django_db(transaction=True)
def test_a_job_enqueued_while_the_broker_is_down_is_kept_and_relayed_once_it_is_back(
    empty_default_queue, settings, broker_down
):
    # given: the broker is down when the transaction commits
    settings.OUTBOX_RELAY_AFTER_SECONDS = 0
    with transaction.atomic():
        message = outbox.enqueue("core.ping", ["later"])  # no error reaches the caller

    # then: kept, unsent, with why
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1
    assert "Error" in message.last_error
    # and: a relay while the broker is still down sends nothing and keeps it
    assert outbox.outbox_relay() == 0
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 2

    # when: the broker is back and the relay runs (twice)
    broker_down.end()
    assert outbox.outbox_relay() == 1
    assert outbox.outbox_relay() == 0

    # then: published exactly once
    assert _drain("default") == [{"task": "core.ping", "id": str(message.pk), "args": ["later"]}]
    message.refresh_from_db()
    assert message.sent_at is not None and message.last_error == ""


@pytest.mark.django_db(transaction=True)
def test_the_relay_leaves_recent_messages_to_their_on_commit_publish(
    empty_default_queue, settings, broker_down
):
    # given: a message unsent a moment ago (its on-commit publish may still be running)
    settings.OUTBOX_RELAY_AFTER_SECONDS = 5
    outbox.enqueue("core.ping", ["fresh"])
    broker_down.end()

    # when / then: the relay waits for it
    assert outbox.outbox_relay() == 0
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(seconds=6))
    assert outbox.outbox_relay() == 1
    assert [m["args"] for m in _drain("default")] == [["fresh"]]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_relays_at_once_never_send_the_same_message(empty_default_queue, settings, broker_down):
    # given: three unsent messages, and another relay holding the first two
    settings.OUTBOX_RELAY_AFTER_SECONDS = 0
    messages = [outbox.enqueue("core.ping", [n]) for n in range(3)]
    broker_down.end()
    held, release = threading.Event(), threading.Event()

    def other_relay() -> None:
        from django.db import connection

        try:
            with transaction.atomic():
                list(
                    OutboxMessage.objects.select_for_update()
                    .filter(pk__in=[m.pk for m in messages[:2]])
                    .order_by("created_at")
                )
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_relay)
    thread.start()
    assert held.wait(10)

    # when: this relay runs meanwhile
    try:
        sent = outbox.outbox_relay()
    finally:
        release.set()
        thread.join()

    # then: it skipped the locked two and sent the third
    assert sent == 1
    assert [m["args"] for m in _drain("default")] == [[2]]


@pytest.mark.django_db
def test_sent_messages_are_forgotten_after_the_keeping_period(settings):
    # given
    settings.OUTBOX_KEEP_DAYS = 7
    old = OutboxMessage.objects.create(task_name="core.ping", sent_at=timezone.now())
    recent = OutboxMessage.objects.create(task_name="core.ping", sent_at=timezone.now())
    unsent = OutboxMessage.objects.create(task_name="core.ping")
    OutboxMessage.objects.filter(pk__in=[old.pk, unsent.pk]).update(
        sent_at=None, created_at=timezone.now() - timedelta(days=30)
    )
    OutboxMessage.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=8))
    settings.OUTBOX_RELAY_AFTER_SECONDS = 10**9  # relay nothing: only the forgetting

    # when
    outbox.outbox_relay()

    # then: only the old sent one is gone; an unsent one is never dropped
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, unsent.pk}


def test_a_chain_cannot_be_given_one_queue():
    with pytest.raises(ValueError):
        outbox.enqueue("marketplace.generation_check", ["x"], queue="render", then=["a"])
