"""The generation pipeline as a Celery chain of thin, idempotent tasks. Each loads the
request's state through its service and returns at once if its step already ran, so a
redelivered message (acks_late after a crashed worker) repeats nothing."""

import logging

from celery import shared_task

from core.tasks import TRANSIENT_ERRORS
from marketplace import services
from marketplace.generation import RenderFailed

log = logging.getLogger(__name__)
TRANSIENT = TRANSIENT_ERRORS
COMMON = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


def _guard(task, request_id: str, step, dispatch: int | None) -> None:
    """Take the request's lease and run a step, unless the request needs no step now
    or a later dispatch took it over; on a final failure, mark the request failed with
    a readable reason."""
    try:
        if not services.generation_lease_take(request_id=request_id, dispatch=dispatch):
            return
        step(request_id=request_id)
    except RenderFailed as exc:
        if exc.transient and task.request.retries < task.max_retries:
            raise task.retry(exc=exc, countdown=min(60, 2 ** (task.request.retries + 1))) from exc
        services.render_failed(request_id=request_id, error=exc)
    except TRANSIENT:
        if task.request.retries >= task.max_retries:
            services.generation_fail(
                request_id=request_id, reason="Our systems were busy; please try again."
            )
            return
        raise
    except Exception:
        log.exception("generation step %s failed for %s", step.__name__, request_id)
        services.generation_fail(
            request_id=request_id,
            reason="Something went wrong on our side. You were not charged twice.",
        )


@shared_task(
    bind=True,
    name="marketplace.generation_check",
    on_queue="default",
    time_limit=120,
    soft_time_limit=100,
    **COMMON,
)
def generation_check(self, request_id: str, dispatch: int | None = None) -> str:
    _guard(self, request_id, services.generation_check, dispatch)
    return request_id


@shared_task(
    bind=True,
    name="marketplace.generation_render",
    on_queue="render",
    time_limit=15 * 60,
    soft_time_limit=14 * 60,
    **COMMON,
)
def generation_render(self, request_id: str, dispatch: int | None = None) -> str:
    _guard(self, request_id, services.generation_render, dispatch)
    return request_id


@shared_task(
    bind=True,
    name="marketplace.generation_sign",
    on_queue="render",
    time_limit=300,
    soft_time_limit=280,
    **COMMON,
)
def generation_sign(self, request_id: str, dispatch: int | None = None) -> str:
    _guard(self, request_id, services.generation_sign, dispatch)
    return request_id


@shared_task(
    bind=True,
    name="marketplace.generation_route",
    on_queue="default",
    time_limit=120,
    soft_time_limit=100,
    **COMMON,
)
def generation_route(self, request_id: str, dispatch: int | None = None) -> str:
    _guard(self, request_id, services.generation_route, dispatch)
    return request_id


@shared_task(
    name="marketplace.generation_sweep",
    on_queue="default",
    acks_late=True,
    time_limit=120,
    soft_time_limit=100,
    expires=30,
)
def generation_sweep() -> int:
    """Dispatch again the requests whose lease lapsed (beat, every 30 seconds)."""
    return services.generation_sweep()


@shared_task(
    name="marketplace.approvals_expire",
    on_queue="default",
    acks_late=True,
    time_limit=300,
    soft_time_limit=280,
    expires=240,
)
def approvals_expire() -> int:
    """Deny per-work approvals left unreviewed past their deadline."""
    return services.work_approvals_expire()


@shared_task(
    name="marketplace.disputes_expire",
    on_queue="default",
    acks_late=True,
    time_limit=300,
    soft_time_limit=280,
    expires=3000,
)
def disputes_expire() -> int:
    """Release disputes the claimant left unanswered past the deadline."""
    return services.disputes_expire()
