"""Leases: a generation request that stops moving is dispatched again.

Every dispatch of the pipeline goes through the outbox (core/outbox.py), in the
transaction that wants it, and gives the request a lease (``lease_expires_at``,
``GENERATION_LEASE_SECONDS`` from now). Each step takes the lease again as it starts
and the render renews it while it reports progress, so a request whose lease lapsed
is one nobody is working on: its worker was killed, the broker restarted and lost the
message, or the next step's message was never published. Beat's sweeper
(``marketplace.generation_sweep``) dispatches such a request again from its status;
the steps are idempotent by status, so whatever already ran is not repeated (one
Work, one charge). After ``GENERATION_MAX_DISPATCHES`` dispatches the request fails
with a reason the creator can read.

Each dispatch is numbered (``dispatches``) and its tasks carry the number: a task of an
earlier dispatch (a message the broker hands out again after its visibility timeout, a
chain a slow worker carries on) finds the number moved on and does nothing, so a
request is never worked on by two dispatches at once."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core import outbox
from marketplace.enums import GenerationStatus
from marketplace.models import GenerationRequest
from marketplace.services.transitions import generation_fail

log = logging.getLogger(__name__)

# The pipeline's Celery tasks in order (defined in marketplace/tasks.py).
PIPELINE_TASKS = (
    "marketplace.generation_check",
    "marketplace.generation_render",
    "marketplace.generation_sign",
    "marketplace.generation_route",
)
# What is left to run from each status a worker is expected to move on. A request
# awaiting approval waits for a person, and a final one for nothing: neither is swept.
REMAINING_TASKS = {
    GenerationStatus.QUEUED: PIPELINE_TASKS,
    GenerationStatus.CHECKING: PIPELINE_TASKS,
    GenerationStatus.RENDERING: PIPELINE_TASKS[1:],
    GenerationStatus.SIGNING: PIPELINE_TASKS[2:],
}
LEASED_STATUSES = tuple(REMAINING_TASKS)
SWEEP_BATCH = 100
GAVE_UP = "This video could not be finished: our workers lost it {n} times. Please try again."


def _lease_end() -> datetime:
    return timezone.now() + timedelta(seconds=settings.GENERATION_LEASE_SECONDS)


def generation_dispatch(*, request_id, status: str = GenerationStatus.QUEUED) -> None:
    """Send the pipeline from ``status`` on (through the outbox: it leaves when the
    caller's transaction commits, even if the broker is down then) and start the
    request's lease."""
    tasks = REMAINING_TASKS[GenerationStatus(status)]
    number = GenerationRequest.objects.values_list("dispatches", flat=True).get(pk=request_id)
    outbox.enqueue(tasks[0], [str(request_id), number], then=tasks[1:])
    GenerationRequest.objects.filter(pk=request_id).update(lease_expires_at=_lease_end())


def generation_lease_take(*, request_id, dispatch: int | None = None) -> bool:
    """A step of dispatch number ``dispatch`` starts work on the request: its lease runs
    from now. False when the step has nothing to do: the request is not one a worker
    moves on (awaiting approval, final), or a later dispatch took it over. A task sent
    before dispatches were numbered gives None and is not fenced."""
    rows = GenerationRequest.objects.filter(pk=request_id, status__in=LEASED_STATUSES)
    if dispatch is not None:
        rows = rows.filter(dispatches=dispatch)
    return rows.update(lease_expires_at=_lease_end()) > 0


class LeaseHeartbeat:
    """Renews a request's lease from a long step's progress reports, at most every
    quarter of the lease, so a render that reports often writes rarely."""

    def __init__(self, request_id) -> None:
        self.request_id = request_id
        self.every = settings.GENERATION_LEASE_SECONDS / 4
        self.last = time.monotonic()

    def beat(self) -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            generation_lease_take(request_id=self.request_id)


def generation_sweep(*, batch: int = SWEEP_BATCH) -> int:
    """Dispatch again every request whose lease lapsed (oldest first, one bounded
    batch), or fail it once it was dispatched ``GENERATION_MAX_DISPATCHES`` times.
    Requests from before leases (none recorded) count from their last change. Each is
    locked with SKIP LOCKED, so two sweeps never dispatch the same request twice.
    Returns how many were dispatched again."""
    now = timezone.now()
    lapsed = Q(lease_expires_at__lt=now) | Q(
        lease_expires_at__isnull=True,
        updated_at__lt=now - timedelta(seconds=settings.GENERATION_LEASE_SECONDS),
    )
    due = list(
        GenerationRequest.objects.filter(lapsed, status__in=LEASED_STATUSES)
        .order_by("lease_expires_at", "id")
        .values_list("pk", flat=True)[:batch]
    )
    dispatched = 0
    for request_id in due:
        with transaction.atomic():
            request = (
                GenerationRequest.objects.select_for_update(skip_locked=True)
                .filter(lapsed, pk=request_id, status__in=LEASED_STATUSES)
                .first()
            )
            if request is None:  # moved on, or another sweep has it
                continue
            if request.dispatches >= settings.GENERATION_MAX_DISPATCHES:
                log.warning("generation %s: lease lapsed after %d dispatches, failing it",
                            request_id, request.dispatches)  # fmt: skip
                generation_fail(request_id=request_id, reason=GAVE_UP.format(n=request.dispatches))
                continue
            GenerationRequest.objects.filter(pk=request_id).update(dispatches=F("dispatches") + 1)
            generation_dispatch(request_id=request_id, status=request.status)
            log.warning("generation %s: lease lapsed while %s, dispatched again",
                        request_id, request.status)  # fmt: skip
            dispatched += 1
    return dispatched
