"""What the creator is told when their request ends: published, not made, or not
published after review. One notification per request and outcome: its key makes a
replayed transition or a retried task find the one already sent."""

from __future__ import annotations

from accounts import services as accounts_services
from marketplace.enums import ApprovalStatus, GenerationStatus
from marketplace.models import GenerationRequest, Work, WorkApproval
from marketplace.refusals import request_advice


def _quoted(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1].rstrip() + '…'}”"


def _approvers(work: Work) -> list[str]:
    """Who approved the work, as people call them (the person, or the studio), first
    approver first."""
    approvals = (
        WorkApproval.objects.filter(work=work, status=ApprovalStatus.APPROVED)
        .select_related("character__owner_user", "character__owner_organization")
        .order_by("decided_at", "id")  # in the order they approved
    )
    return list(dict.fromkeys(a.character.rightsholder_name for a in approvals))


def _published(request: GenerationRequest) -> tuple[str, str, str]:
    work = Work.objects.filter(request=request).first()
    if work is None:  # published without a stored work: only a test's shortcut does this
        return f"Your video {_quoted(request.prompt)} is published", "", request.get_absolute_url()
    approvers = _approvers(work)
    if approvers:
        title = f"{' and '.join(approvers)} approved your video {_quoted(work.title)}"
        body = "It is published: people can watch, like and remix it now."
    else:
        title = f"Your video {_quoted(work.title)} is published"
        body = "People can watch, like and remix it now."
    return title, body, work.get_absolute_url()


def _ended(request: GenerationRequest) -> tuple[str, str, str]:
    advice = request_advice(request)
    last = (request.reasons or [{}])[-1]
    code = last.get("code")
    work = Work.objects.filter(request=request).first()
    what = _quoted(work.title if work is not None else request.prompt)
    if code in ("approval_denied", "approval_expired") and last.get("by"):
        if code == "approval_denied":
            title = f"{last['by']} declined your video {what}"
        else:
            title = f"{last['by']} did not review your video {what} in time"
    elif request.status == GenerationStatus.FAILED:
        title = f"Your video {what} could not be made"
    elif work is not None:
        title = f"Your video {what} was not published"
    else:
        title = f"Your video {what} was not made"
    return title, "\n".join(a.text for a in advice), request.get_absolute_url()


def generation_outcome_notify(*, request: GenerationRequest) -> None:
    """Tell the creator how their request ended, once. Call it with the request in its
    final state, in the transaction that moved it there."""
    if request.status == GenerationStatus.PUBLISHED:
        title, body, url = _published(request)
    else:
        title, body, url = _ended(request)
    accounts_services.notify(
        users=[request.creator],
        kind=f"generation.{request.status}",
        title=title,
        body=body,
        url=url,
        key=f"generation.{request.status}:{request.pk}",
    )
