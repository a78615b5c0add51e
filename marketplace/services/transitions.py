"""The generation request's state machine: the one way its status moves."""

from django.db import transaction
from django.utils import timezone

from core import events
from core.errors import DomainError, ErrorCode
from marketplace.enums import (
    GENERATION_TRANSITIONS,
    STAGE_PROGRESS,
    TERMINAL_STATUSES,
    GenerationStatus,
)
from marketplace.events import GenerationEnded
from marketplace.models import GenerationEvent, GenerationRequest


def generation_transition(*, request_id, to: str, note: str = "", **fields) -> GenerationRequest:
    """The one way a request's status moves: lock the row, refuse an illegal move,
    save, record the event. Extra ``fields`` are saved with the move. A final move
    publishes GenerationEnded in the same transaction (its fees captured or released
    with it)."""
    with transaction.atomic():
        request = GenerationRequest.objects.select_for_update().get(pk=request_id)
        if to not in GENERATION_TRANSITIONS[request.status]:
            raise DomainError(
                f"A request that is {request.status} cannot become {to}.",
                code=ErrorCode.INVALID_TRANSITION,
            )
        previous = request.status
        request.status = to
        stage = STAGE_PROGRESS.get(GenerationStatus(to), request.progress)
        request.progress = max(request.progress, stage)
        if to in TERMINAL_STATUSES:
            request.finished_at = timezone.now()
        for name, value in fields.items():
            setattr(request, name, value)
        request.save(update_fields=["status", "progress", "finished_at", "updated_at", *fields])
        GenerationEvent.objects.create(
            request=request, from_status=previous, to_status=to, note=note
        )
        if to in TERMINAL_STATUSES:
            events.publish(
                GenerationEnded(
                    request_id=request.pk,
                    published=to == GenerationStatus.PUBLISHED,
                    reason=note or to,
                )
            )
    return request


def generation_fail(*, request_id, reason: str) -> None:
    """Mark a request failed with a reason the creator can read, unless it already
    reached a final state."""
    request = GenerationRequest.objects.get(pk=request_id)
    if request.status in TERMINAL_STATUSES:
        return
    generation_transition(
        request_id=request_id, to=GenerationStatus.FAILED, note=reason, reason=reason
    )
