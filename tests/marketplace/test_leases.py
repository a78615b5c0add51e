"""Generation leases (marketplace/services/leases.py): a request nobody is working on
any more (its lease lapsed) is dispatched again from its status through the outbox, and
given up with a readable reason after too many dispatches."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import OutboxMessage
from marketplace import services
from marketplace.models import GenerationRequest
from marketplace.services.leases import PIPELINE_TASKS
from tests.factories import CharacterFactory, GenerationRequestFactory, UserFactory, grant_for

pytestmark = pytest.mark.django_db


def _lapsed(status: str, **fields) -> GenerationRequest:
    return GenerationRequestFactory(
        status=status, lease_expires_at=timezone.now() - timedelta(seconds=1), **fields
    )


def _dispatched(request) -> list[tuple[str, int, list[str]]]:
    """Each dispatch of the request: its first task, its number and the tasks after."""
    return [
        (m.task_name, m.args[1], m.then)
        for m in OutboxMessage.objects.filter(args__0=str(request.pk)).order_by("created_at")
    ]


def test_a_new_request_is_dispatched_through_the_outbox_with_a_lease(settings):
    # given
    settings.GENERATION_LEASE_SECONDS = 60
    hoshi = CharacterFactory()
    creator = UserFactory()
    grant_for(hoshi, creator)

    # when
    request = services.generation_request_create(
        creator=creator, prompt="Hoshi waves", character_ids=[hoshi.pk]
    )

    # then: the whole pipeline is one outbox message, leased for a minute
    assert _dispatched(request) == [(PIPELINE_TASKS[0], 0, list(PIPELINE_TASKS[1:]))]
    request.refresh_from_db()
    left = (request.lease_expires_at - timezone.now()).total_seconds()
    assert 55 < left <= 60


@pytest.mark.parametrize(
    ("status", "remaining"),
    [
        ("queued", PIPELINE_TASKS),
        ("checking", PIPELINE_TASKS),
        ("rendering", PIPELINE_TASKS[1:]),
        ("signing", PIPELINE_TASKS[2:]),
    ],
)
def test_a_lapsed_request_is_dispatched_again_from_its_status(settings, status, remaining):
    # given
    settings.GENERATION_LEASE_SECONDS = 30
    request = _lapsed(status)

    # when
    dispatched = services.generation_sweep()

    # then: the steps left, once, as dispatch number 1, with a new lease
    assert dispatched == 1
    assert _dispatched(request) == [(remaining[0], 1, list(remaining[1:]))]
    request.refresh_from_db()
    assert request.dispatches == 1 and request.status == status
    assert request.lease_expires_at > timezone.now() + timedelta(seconds=25)
    # and: a second sweep finds the new lease running and does nothing
    assert services.generation_sweep() == 0
    assert len(_dispatched(request)) == 1


@pytest.mark.parametrize("status", ["awaiting_approval", "published", "refused", "failed"])
def test_requests_waiting_for_a_person_or_finished_are_never_swept(status):
    request = _lapsed(status)

    assert services.generation_sweep() == 0
    assert _dispatched(request) == []


def test_a_request_whose_lease_still_runs_is_left_to_its_worker():
    request = GenerationRequestFactory(
        status="rendering", lease_expires_at=timezone.now() + timedelta(seconds=30)
    )

    assert services.generation_sweep() == 0
    assert _dispatched(request) == []


def test_a_request_from_before_leases_counts_from_its_last_change(settings):
    # given: no lease recorded, last changed longer ago than a lease
    settings.GENERATION_LEASE_SECONDS = 30
    old = GenerationRequestFactory(status="rendering")
    recent = GenerationRequestFactory(status="rendering")
    GenerationRequest.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - timedelta(seconds=31)
    )

    # when / then
    assert services.generation_sweep() == 1
    assert len(_dispatched(old)) == 1 and _dispatched(recent) == []


def test_a_request_lost_too_many_times_fails_with_a_reason(settings):
    # given: dispatched the most times allowed, and lost again
    settings.GENERATION_MAX_DISPATCHES = 3
    request = _lapsed("rendering", dispatches=3)

    # when
    assert services.generation_sweep() == 0

    # then
    request.refresh_from_db()
    assert request.status == "failed"
    assert request.reason == (
        "This video could not be finished: our workers lost it 3 times. Please try again."
    )
    assert _dispatched(request) == []


def test_each_step_takes_the_lease_as_it_starts(settings):
    # given: a lapsed lease
    settings.GENERATION_LEASE_SECONDS = 45
    request = _lapsed("signing", dispatches=2)

    # when
    taken = services.generation_lease_take(request_id=request.pk, dispatch=2)

    # then
    assert taken
    request.refresh_from_db()
    assert request.lease_expires_at > timezone.now() + timedelta(seconds=40)


@pytest.mark.parametrize(
    ("status", "dispatch"),
    [("signing", 1), ("awaiting_approval", 2), ("published", 2), ("failed", None)],
)
def test_a_step_of_an_earlier_dispatch_or_for_a_settled_request_does_nothing(status, dispatch):
    # given: dispatched a second time (number 2), or no longer a worker's to move
    request = _lapsed(status, dispatches=2)
    lease = request.lease_expires_at

    # when: a task of dispatch 1 (redelivered late) or any task for a settled request
    taken = services.generation_lease_take(request_id=request.pk, dispatch=dispatch)

    # then: it does not run its step, and the lease is not touched
    assert not taken
    request.refresh_from_db()
    assert request.lease_expires_at == lease


def test_a_stale_task_of_an_earlier_dispatch_leaves_the_request_alone(monkeypatch):
    # given: a request rendering under dispatch 1
    from marketplace import tasks

    request = GenerationRequestFactory(status="rendering", dispatches=1)
    ran = []
    monkeypatch.setattr(tasks.services, "generation_render", lambda **kw: ran.append(kw))

    # when: dispatch 0's render task comes back (the broker handed it out again)
    tasks.generation_render.apply(args=[str(request.pk), 0])
    # and: dispatch 1's runs
    tasks.generation_render.apply(args=[str(request.pk), 1])

    # then: only the current dispatch rendered
    assert ran == [{"request_id": str(request.pk)}]


def test_a_render_reporting_progress_renews_its_lease_every_quarter_lease(settings, monkeypatch):
    # given: a lease of 40 s, a render under way, and a clock we move
    settings.GENERATION_LEASE_SECONDS = 40
    request = _lapsed("rendering")
    clock = [1000.0]
    monkeypatch.setattr("marketplace.services.leases.time.monotonic", lambda: clock[0])
    heartbeat = services.leases.LeaseHeartbeat(request.pk)

    def lease():
        return GenerationRequest.objects.get(pk=request.pk).lease_expires_at

    # when: progress comes before a quarter lease passed, then after
    before = lease()
    clock[0] += 9
    heartbeat.beat()
    unchanged = lease()
    clock[0] += 1
    heartbeat.beat()

    # then: written once, at ten seconds
    assert unchanged == before
    assert lease() > timezone.now() + timedelta(seconds=35)
