"""Every Celery task declares its queue where it is defined, and is routed by it."""

import pytest
from celery import signature

from config.celery import QUEUES, app

OUR_APPS = ("core.", "accounts.", "licensing.", "marketplace.", "payments.", "dashboard.")


def _our_tasks():
    return sorted(
        (task for name, task in app.tasks.items() if name.startswith(OUR_APPS)),
        key=lambda task: task.name,
    )


def test_every_task_of_ours_names_one_of_the_three_queues():
    tasks = _our_tasks()
    assert len(tasks) >= 12
    undeclared = [t.name for t in tasks if getattr(t, "on_queue", None) not in QUEUES]
    assert undeclared == []


@pytest.mark.parametrize(
    ("name", "queue"),
    [
        ("marketplace.generation_check", "default"),
        ("marketplace.generation_render", "render"),
        ("marketplace.generation_sign", "render"),
        ("marketplace.generation_route", "default"),
        ("licensing.characters_embed", "default"),
        ("payments.webhook_handle", "money"),
        ("payments.payouts_run", "money"),
        ("core.ping", "default"),
    ],
)
def test_a_task_enqueued_by_name_goes_to_its_declared_queue(name, queue):
    # Services enqueue by name (no import of the tasks module); the route is the same.
    routed = app.amqp.router.route({}, name, args=(), kwargs={}, task_type=signature(name).type)
    assert routed["queue"].name == queue
    assert routed["routing_key"] == queue
