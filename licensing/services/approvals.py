"""Per-work approvals: opened by the generation pipeline, decided by the rightsholder,
and denied by default when left past their deadline."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import User
from core.errors import DomainError, NotPermitted
from licensing.enums import ApprovalStatus
from licensing.models import WorkApproval
from licensing.services._common import character_can_edit


def work_approvals_open(
    *, work, character_ids: Iterable[str], deadline: datetime
) -> list[WorkApproval]:
    """One pending approval per character that demands review. Idempotent."""
    WorkApproval.objects.bulk_create(
        [WorkApproval(work=work, character_id=cid, deadline=deadline) for cid in character_ids],
        ignore_conflicts=True,
    )
    approvals = list(WorkApproval.objects.filter(work=work).select_related("character"))
    from licensing import selectors

    for approval in approvals:
        accounts_services.notify(
            users=selectors.character_licensors(character=approval.character),
            kind="approval.work",
            title=f"Review a video showing {approval.character.name}",
            body=f"By {work.creator}. Decide by {deadline:%d %b %H:%M} UTC, or it is denied.",
            url="/dashboard/approvals/",
        )
    return approvals


def work_approval_decide(
    *, approval: WorkApproval, by: User, approve: bool, note: str = ""
) -> WorkApproval:
    """The rightsholder (or staff, resolving from the admin) approves or denies a work
    showing their character."""
    from marketplace import services as marketplace_services

    if not by.is_staff and not character_can_edit(character=approval.character, user=by):
        raise NotPermitted("Only the character's rightsholder can review this video.")
    with transaction.atomic():
        approval = WorkApproval.objects.select_for_update().get(pk=approval.pk)
        if approval.status != ApprovalStatus.PENDING:
            raise DomainError(
                f"This review is already {approval.get_status_display().lower()}.",
                code="invalid_state",
            )
        if timezone.now() >= approval.deadline:
            raise DomainError(
                "The review deadline has passed; the video was denied.", code="expired"
            )
        approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.DENIED
        approval.decided_by = by
        approval.decided_at = timezone.now()
        approval.note = note[:200]
        approval.save(update_fields=["status", "decided_by", "decided_at", "note", "updated_at"])
        work = marketplace_services.work_approval_settled(work_id=approval.work_id)
        accounts_services.notify(
            users=[work.creator],
            kind="approval.decided",
            title=f"{approval.character.name}'s rightsholder "
            f"{'approved' if approve else 'denied'} your video",
            body=note,
            url=work.get_absolute_url(),
        )
    return approval


def work_approvals_expire(*, now: datetime | None = None, batch: int = 200) -> int:
    """Deny every pending approval past its deadline (review defaults to deny), in
    bounded batches. Returns how many expired."""
    from marketplace import services as marketplace_services

    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            due = list(
                WorkApproval.objects.select_for_update(skip_locked=True)
                .filter(status=ApprovalStatus.PENDING, deadline__lte=now)
                .order_by("deadline", "id")[:batch]
            )
            for approval in due:
                approval.status = ApprovalStatus.EXPIRED
                approval.decided_at = now
                approval.save(update_fields=["status", "decided_at", "updated_at"])
            for work_id in sorted({a.work_id for a in due}):
                marketplace_services.work_approval_settled(work_id=work_id)
        expired += len(due)
        if len(due) < batch:
            return expired


def work_approvals_withdraw(*, work_id) -> int:
    """Close the pending reviews of a work deleted while it waited: there is nothing
    left to decide. Returns how many were withdrawn."""
    return WorkApproval.objects.filter(work_id=work_id, status=ApprovalStatus.PENDING).update(
        status=ApprovalStatus.WITHDRAWN, decided_at=timezone.now(), updated_at=timezone.now()
    )
