"""Per-work approvals: opened by the generation pipeline, decided by the rightsholder,
and denied by default when left past their deadline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts import services as accounts_services
from core.audit import audit_record, owner_stream
from core.errors import DomainError, ErrorCode, NotPermitted
from licensing import selectors as licensing_selectors
from marketplace.enums import ApprovalStatus, GenerationStatus, OutcomeCode, WorkStatus
from marketplace.models import Work, WorkApproval
from marketplace.services.counters import work_publication_moved
from marketplace.services.feed import feed_entries_sync
from marketplace.services.transitions import generation_transition, outcome_reason

if TYPE_CHECKING:
    from accounts.models import User


def work_approvals_open(
    *, work, character_ids: Iterable[str], deadline: datetime
) -> list[WorkApproval]:
    """One pending approval per character that demands review. Idempotent."""
    WorkApproval.objects.bulk_create(
        [WorkApproval(work=work, character_id=cid, deadline=deadline) for cid in character_ids],
        ignore_conflicts=True,
    )
    approvals = list(WorkApproval.objects.filter(work=work).select_related("character"))
    for approval in approvals:
        accounts_services.notify(
            users=licensing_selectors.character_licensors(character=approval.character),
            kind="approval.work",
            title=f"Review a video showing {approval.character.name}",
            body=f"By {work.creator}. Decide by {deadline:%d %b %H:%M} UTC, or it is denied.",
            url="/dashboard/approvals/",
            key=_review_key(approval),
        )
    return approvals


def _review_key(approval: WorkApproval) -> str:
    """The key of the rightsholders' "review this video" notification: marked read
    once the review is decided, expired or withdrawn."""
    return f"approval.work:{approval.pk}"


def work_approval_decide(
    *, approval: WorkApproval, by: User, approve: bool, note: str = ""
) -> WorkApproval:
    """The rightsholder (or staff, resolving from the admin) approves or denies a work
    showing their character."""
    if not by.is_staff and not licensing_selectors.character_can_edit(
        character=approval.character, user=by
    ):
        raise NotPermitted("Only the character's rightsholder can review this video.")
    with transaction.atomic():
        approval = WorkApproval.objects.select_for_update().get(pk=approval.pk)
        if approval.status != ApprovalStatus.PENDING:
            raise DomainError(
                f"This review is already {approval.get_status_display().lower()}.",
                code=ErrorCode.INVALID_STATE,
            )
        if timezone.now() >= approval.deadline:
            raise DomainError(
                "The review deadline has passed; the video was denied.", code=ErrorCode.EXPIRED
            )
        approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.DENIED
        approval.decided_by = by
        approval.decided_at = timezone.now()
        approval.note = note[:200]
        approval.save(update_fields=["status", "decided_by", "decided_at", "note", "updated_at"])
        _audit(approval, by=by, reason=note)
        work = work_approval_settled(work_id=approval.work_id)
        accounts_services.notifications_mark_handled(key_prefix=_review_key(approval))
        if work.status == WorkStatus.PENDING_APPROVAL:
            # Other reviews still wait. A decision that settles the work is told by the
            # request's end (published, or declined): one notification per event.
            _notify_partial_approval(approval, work)
    return approval


def _notify_partial_approval(approval: WorkApproval, work: Work) -> None:
    waiting = WorkApproval.objects.filter(work=work, status=ApprovalStatus.PENDING).count()
    accounts_services.notify(
        users=[work.creator],
        kind="approval.decided",
        title=f"{approval.character.rightsholder_name} approved your video “{work.title[:60]}”",
        body=f"It is published once {waiting} more rightsholder"
        f"{' approves' if waiting == 1 else 's approve'} it.",
        url=work.get_absolute_url(),
        key=f"approval.decided:{approval.pk}",
    )


def work_approvals_expire(*, now: datetime | None = None, batch: int = 200) -> int:
    """Deny every pending approval past its deadline (review defaults to deny), in
    bounded batches. Returns how many expired."""
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            due = list(
                WorkApproval.objects.select_for_update(skip_locked=True)
                .filter(status=ApprovalStatus.PENDING, deadline__lte=now)
                .select_related("character")
                .order_by("deadline", "id")[:batch]
            )
            for approval in due:
                approval.status = ApprovalStatus.EXPIRED
                approval.decided_at = now
                approval.save(update_fields=["status", "decided_at", "updated_at"])
                _audit(approval, by="beat", reason="denied: not reviewed by the deadline")
                accounts_services.notifications_mark_handled(key_prefix=_review_key(approval))
            for work_id in sorted({a.work_id for a in due}):
                work_approval_settled(work_id=work_id)
        expired += len(due)
        if len(due) < batch:
            return expired


def _audit(approval: WorkApproval, *, by, reason: str) -> None:
    character = approval.character
    audit_record(
        action=f"work_approval.{approval.status}",
        actor=by,
        subject=approval,
        scope=owner_stream(
            organization_id=character.owner_organization_id, user_id=character.owner_user_id
        ),
        data={"work": approval.work_id, "character": approval.character_id},
        reason=reason,
    )


def work_approvals_withdraw(*, work_id) -> int:
    """Close the pending reviews of a work deleted while it waited: there is nothing
    left to decide. Returns how many were withdrawn."""
    pending = WorkApproval.objects.filter(work_id=work_id, status=ApprovalStatus.PENDING)
    for approval in pending:
        accounts_services.notifications_mark_handled(key_prefix=_review_key(approval))
    return pending.update(
        status=ApprovalStatus.WITHDRAWN, decided_at=timezone.now(), updated_at=timezone.now()
    )


def work_approval_settled(*, work_id) -> Work:
    """Called when a per-work approval is decided or expires. Any denial (or expiry:
    review defaults to deny) refuses the work; when every approval is given, it is
    published. Otherwise it keeps waiting."""
    with transaction.atomic():
        work = Work.objects.select_for_update().get(pk=work_id)
        if work.status != WorkStatus.PENDING_APPROVAL:
            return work
        approvals = list(WorkApproval.objects.filter(work=work).select_related("character"))
        refused = [
            a for a in approvals if a.status in (ApprovalStatus.DENIED, ApprovalStatus.EXPIRED)
        ]
        if refused:
            first = refused[0]
            reason = (
                f"{first.character.name}'s rightsholder did not review the video in time."
                if first.status == ApprovalStatus.EXPIRED
                else f"{first.character.name}'s rightsholder declined the video"
                + (f": {first.note}" if first.note else ".")
            )
            work.status = WorkStatus.DENIED
            work.save(update_fields=["status", "updated_at"])
            code = (
                OutcomeCode.APPROVAL_EXPIRED
                if first.status == ApprovalStatus.EXPIRED
                else OutcomeCode.APPROVAL_DENIED
            )
            generation_transition(
                request_id=work.request_id,
                to=GenerationStatus.REFUSED,
                note=reason,
                reason=reason,
                outcome=outcome_reason(
                    code,
                    first.note if code == OutcomeCode.APPROVAL_DENIED else "",
                    character=first.character,
                    by=first.character.rightsholder_name,
                ),
            )
        elif approvals and all(a.status == ApprovalStatus.APPROVED for a in approvals):
            work.status = WorkStatus.PUBLISHED
            work.published_at = timezone.now()
            work.save(update_fields=["status", "published_at", "updated_at"])
            work_publication_moved(parent_id=work.parent_id, was_published=False, published=True)
            feed_entries_sync(work_ids=[work.pk])
            generation_transition(
                request_id=work.request_id, to=GenerationStatus.PUBLISHED, note="approved"
            )
    return work
