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
    OutcomeCode,
)
from marketplace.events import GenerationEnded
from marketplace.models import GenerationEvent, GenerationRequest
from marketplace.services.notices import generation_outcome_notify


def outcome_reason(code: str, message: str, *, character=None, by: str = "") -> dict:
    """A refusal that did not come from the policy engine (a denied review, a failure),
    in the shape of the engine's reasons, so one table gives every code its words."""
    return {
        "code": str(code),
        "term": "",
        "message": message,
        "character_id": str(character.pk) if character is not None else None,
        "character_name": character.name if character is not None else None,
        "severity": "refuse",
        "matched_as": None,
        "by": by,
    }


def generation_transition(
    *, request_id, to: str, note: str = "", outcome: dict | None = None, **fields
) -> GenerationRequest:
    """The one way a request's status moves: lock the row, refuse an illegal move,
    save, record the event. Extra ``fields`` are saved with the move; ``outcome`` (an
    ``outcome_reason``) is added to its reasons. A final move publishes GenerationEnded
    in the same transaction (its fees captured or released with it) and tells the
    creator, once."""
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
        if outcome is not None:
            request.reasons = [*request.reasons, outcome]
            fields["reasons"] = request.reasons
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
            generation_outcome_notify(request=request)
    return request


def generation_fail(*, request_id, reason: str, code: str = OutcomeCode.FAILED) -> None:
    """Mark a request failed with a reason the creator can read, unless it already
    reached a final state."""
    request = GenerationRequest.objects.get(pk=request_id)
    if request.status in TERMINAL_STATUSES:
        return
    generation_transition(
        request_id=request_id,
        to=GenerationStatus.FAILED,
        note=reason,
        reason=reason,
        outcome=outcome_reason(code, reason),
    )
