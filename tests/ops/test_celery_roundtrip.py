import re
import time
import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from config.celery import app
from core.tasks import ping
from tests.mfa import log_in_with_totp, totp_activate


def test_task_round_trips_through_redis_and_a_real_worker(celery_worker_process):
    _round_trip(celery_worker_process, scheme="redis://")


def test_task_round_trips_through_rabbitmq_and_a_real_worker(on_rabbitmq):
    _round_trip(on_rabbitmq, scheme="amqp://")


def _round_trip(worker, *, scheme: str) -> None:
    # given: the app is configured for the real broker, not eager execution
    assert app.conf.broker_url.startswith(scheme)
    assert not app.conf.task_always_eager
    token = uuid.uuid4().hex

    # when
    result = ping.delay(token)

    # then: a separate worker process consumed it and sent the answer back
    # (the test process is not a task; earlier eager tasks in this process can leave
    # Celery's "inside a task" guard set, so say so explicitly)
    answer = result.get(timeout=30, disable_sync_subtasks=False)
    assert answer["pong"] == token
    assert result.successful()
    # the worker logs "received" before it runs the task (its "succeeded" line, written
    # after the result is stored, may not be on disk yet)
    assert f"core.ping[{result.id}] received" in worker.log()


def test_task_defaults_follow_the_style_guide():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit
    assert {q.name: q.routing_key for q in app.conf.task_queues} == {
        "default": "default",
        "render": "render",
        "money": "money",
    }


def test_queues_are_quorum_queues_on_rabbitmq_and_direct_on_redis():
    from config.celery import declared_queues

    # RabbitMQ: durable quorum queues behind topic exchanges (native delayed delivery)
    rabbitmq = declared_queues("amqp://guest:guest@127.0.0.1:5672/")
    assert [q.name for q in rabbitmq] == ["default", "render", "money"]
    assert all(
        q.durable and q.queue_arguments == {"x-queue-type": "quorum"} and q.exchange.type == "topic"
        for q in rabbitmq
    )
    # Redis: direct exchanges, which still deliver when the binding keys were lost
    redis = declared_queues("redis://127.0.0.1:6379/0")
    assert all(q.exchange.type == "direct" and not q.queue_arguments for q in redis)
    assert "heartbeat" in app.conf.beat_schedule


@pytest.mark.django_db
def test_status_page_enqueues_a_task_that_the_worker_finishes(client, staff, celery_worker_process):
    log_in_with_totp(client, staff, secret=totp_activate(staff))

    response = client.post(reverse("ops-ping"))
    task_id = re.search(r"Task ([0-9a-f-]{36})", response.content.decode()).group(1)
    assert 'data-task-state="PENDING"' in response.content.decode()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        fragment = client.get(reverse("ops-ping-result", args=[task_id])).content.decode()
        if 'data-task-state="SUCCESS"' in fragment:
            break
        time.sleep(0.2)
    assert 'data-task-state="SUCCESS"' in fragment
    assert "hx-get" not in fragment  # polling stops once the task is done


@pytest.mark.django_db
def test_status_page_is_staff_only(client, user):
    client.force_login(user)

    assert client.get(reverse("ops-status")).status_code == 302
    assert client.post(reverse("ops-ping")).status_code == 302
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
