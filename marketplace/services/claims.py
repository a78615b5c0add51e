"""Claims and disputes, Content-ID style, with an appeal and no money lost in limbo.

A claim's policy acts at once (block delists the work; monetize sends its future
revenue to the claimant; track only records). A dispute holds the work's revenue in
escrow until the claimant releases or upholds the claim (or staff settle an
escalation, or the deadline passes, which releases it).

A claim on a work that does not show the character by its records (not among its
licences, its request or its screening decision: a mention that slipped through) waits
for staff review and does nothing to the work until staff accept it, when it takes
effect as if filed then; staff may reject it instead, with a reason. So does every claim
of a claimant whose claims were released on dispute CLAIM_REVIEW_AFTER_RELEASES times in
the last CLAIM_REVIEW_WINDOW_DAYS days.

Escrow is kept per claim: revenue that arrives while disputes are open is held in equal
shares, one per open dispute, and settling a dispute moves only its own share. An
escalated dispute gets DISPUTE_ESCALATION_DAYS for staff; undecided, it is released."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import selectors as accounts_selectors
from accounts import services as accounts_services
from accounts.enums import EDITOR_ROLES
from core import events
from core.audit import audit_record
from core.errors import DomainError, ErrorCode, NotPermitted
from marketplace.enums import (
    CLAIM_REVIEW_AFTER_RELEASES,
    CLAIM_REVIEW_WINDOW_DAYS,
    DISPUTE_ANSWER_DAYS,
    DISPUTE_ESCALATION_DAYS,
    DISPUTE_WINDOW_DAYS,
    ClaimPolicy,
    ClaimReason,
    ClaimStatus,
    DisputeStatus,
    MarketplaceError,
)
from marketplace.events import DisputeSettled
from marketplace.models import Claim, Dispute
from marketplace.services.works import work_block, work_unblock

if TYPE_CHECKING:
    from accounts.models import User
    from licensing.models import Character


def _claimant_members(claim: Claim) -> list[User]:
    return accounts_selectors.organization_people(organization=claim.organization)


def _work_shows(work, character: Character) -> bool:
    if work.licenses.filter(character=character).exists():
        return True
    if work.request.characters.filter(pk=character.pk).exists():
        return True
    decision = work.request.decision
    return bool(decision and str(character.pk) in decision.character_ids)


def _review_reason(work, character: Character, organization) -> str:
    """Why a new claim must wait for staff review, or "" when it takes effect at once."""
    if not _work_shows(work, character):
        return f"this video does not license {character.name}"
    since = timezone.now() - timedelta(days=CLAIM_REVIEW_WINDOW_DAYS)
    released = Dispute.objects.filter(
        claim__organization=organization,
        status=DisputeStatus.RELEASED,
        resolved_at__gte=since,
    ).count()
    if released >= CLAIM_REVIEW_AFTER_RELEASES:
        return (
            f"{released} of {organization.name}'s claims were released on dispute in the "
            f"last {CLAIM_REVIEW_WINDOW_DAYS} days"
        )
    return ""


@transaction.atomic
def claim_file(
    *, work, character: Character, by: User, reason: str, evidence: str, policy: str
) -> Claim:
    """File a claim for the organization that owns ``character``. Refused if ``by`` is
    not an owner or manager of it, if it is not verified, or if this work and character
    are already claimed. When the work does not show the character by its records, or
    the organization's claims keep being released on dispute, the claim waits for staff
    review (status ``staff_review``, ``review_reason`` saying why) and changes nothing
    yet."""
    organization = character.owner_organization
    if organization is None:
        raise DomainError(
            "Claims are filed by organizations; a likeness owner can delete the video instead."
        )
    role = accounts_selectors.membership_role(organization=organization, user=by)
    if role not in EDITOR_ROLES:
        raise NotPermitted(
            f"Only {organization.name}'s owners and managers can claim {character.name}."
        )
    if not organization.is_verified:
        raise DomainError(
            f"{organization.name} must be verified before it can file claims.",
            code=MarketplaceError.UNVERIFIED,
        )
    if reason not in ClaimReason.values:
        raise DomainError(f"Unknown reason {reason!r}.", field="reason")
    if policy not in ClaimPolicy.values:
        raise DomainError(f"Unknown policy {policy!r}.", field="policy")
    if not evidence.strip():
        raise DomainError(
            "Describe what the video does wrong.", code=ErrorCode.REQUIRED, field="evidence"
        )
    if work.status not in ("published", "delisted"):
        raise DomainError("Only published videos can be claimed.", code=ErrorCode.INVALID_STATE)
    review_reason = _review_reason(work, character, organization)
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                work=work,
                character=character,
                organization=organization,
                filed_by=by,
                reason=reason,
                evidence=evidence.strip(),
                policy=policy,
                status=ClaimStatus.STAFF_REVIEW if review_reason else ClaimStatus.ACTIVE,
                review_reason=review_reason,
            )
            _audit_claim(claim, by=by, reason=evidence.strip(), data={"review": review_reason})
    except IntegrityError as exc:
        raise DomainError(
            f"{character.name} has already been claimed in this video.", code=ErrorCode.DUPLICATE
        ) from exc
    if not review_reason:
        _take_effect(claim)
    return claim


def _take_effect(claim: Claim) -> None:
    """What a claim does to its work once it stands: its policy, and the creator told
    (with the window to dispute it, which starts now)."""
    work, organization = claim.work, claim.organization
    if claim.policy == ClaimPolicy.BLOCK:
        work_block(work=work, reason=f"blocked by {organization.name}'s claim")
    accounts_services.notify(
        users=[work.creator],
        kind="claim.filed",
        title=f"{organization.name} claimed your video “{work.title[:60]}”",
        body=f"Policy: {claim.get_policy_display()}. Reason: {claim.get_reason_display()}.\n"
        f"{claim.evidence}\nYou can dispute it within {DISPUTE_WINDOW_DAYS} days.",
        url=work.get_absolute_url(),
    )


def _require_staff_review(claim: Claim, by: User) -> None:
    if not by.is_staff:
        raise NotPermitted("Only staff review claims.")
    if claim.status != ClaimStatus.STAFF_REVIEW:
        raise DomainError(
            f"This claim is {claim.get_status_display().lower()}, not awaiting review.",
            code=ErrorCode.INVALID_STATE,
        )


@transaction.atomic
def claim_review_accept(*, claim: Claim, by: User) -> Claim:
    """Staff accept a claim that waited for review: it becomes active and takes effect
    now (its policy applies; the creator is told and may dispute it within the window
    from now). Refused unless the work can still be claimed."""
    claim = _locked(claim)
    _require_staff_review(claim, by)
    if claim.work.status not in ("published", "delisted"):
        raise DomainError(
            f"The video is {claim.work.get_status_display().lower()}; reject the claim instead.",
            code=ErrorCode.INVALID_STATE,
        )
    claim.status = ClaimStatus.ACTIVE
    claim.reviewed_by = by
    claim.reviewed_at = timezone.now()
    claim.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
    _audit_claim(claim, by=by, action="claim.review_accepted")
    _take_effect(claim)
    accounts_services.notify(
        users=_claimant_members(claim),
        kind="claim.accepted",
        title=f"Your claim on “{claim.work.title[:60]}” was accepted",
        body=f"Our staff reviewed your claim on {claim.character.name}; it now applies "
        f"({claim.get_policy_display()}).",
        url="/dashboard/claims/",
    )
    return claim


@transaction.atomic
def claim_review_reject(*, claim: Claim, by: User, reason: str) -> Claim:
    """Staff reject a claim that waited for review, with the reason the claimant reads.
    The work was never touched; the claim is kept, closed."""
    claim = _locked(claim)
    _require_staff_review(claim, by)
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why the claim is rejected.", code=ErrorCode.REQUIRED, field="reason")
    now = timezone.now()
    claim.status = ClaimStatus.REJECTED
    claim.reviewed_by = by
    claim.reviewed_at = now
    claim.resolved_at = now
    claim.review_note = reason[:300]
    claim.save(
        update_fields=[
            "status",
            "reviewed_by",
            "reviewed_at",
            "resolved_at",
            "review_note",
            "updated_at",
        ]
    )
    _audit_claim(claim, by=by, action="claim.review_rejected", reason=reason)
    accounts_services.notify(
        users=_claimant_members(claim),
        kind="claim.rejected",
        title=f"Your claim on “{claim.work.title[:60]}” was rejected",
        body=f"Our staff reviewed your claim on {claim.character.name}: {claim.review_note}",
        url="/dashboard/claims/",
    )
    return claim


def _audit_claim(
    claim: Claim,
    *,
    by,
    action: str = "",
    reason: str = "",
    dispute: Dispute | None = None,
    data: dict | None = None,
) -> None:
    """Record a claim or dispute step in the claimant organization's stream."""
    audit_record(
        action=action or f"claim.{claim.status}",
        actor=by,
        subject=dispute if dispute is not None else claim,
        scope=claim.organization,
        data={
            "claim": claim.pk,
            "work": claim.work_id,
            "character": claim.character_id,
            "policy": claim.policy,
            "claim_status": claim.status,
            **(data or {}),
        },
        reason=reason,
    )


def _locked(claim: Claim) -> Claim:
    return Claim.objects.select_for_update().select_related("work", "organization").get(pk=claim.pk)


@transaction.atomic
def dispute_open(*, claim: Claim, by: User, reason: str) -> Dispute:
    """The work's creator disputes a claim, within the window. The work's revenue is
    held in escrow from now until the dispute is settled."""
    claim = _locked(claim)
    if claim.work.creator_id != by.pk:
        raise NotPermitted("Only the video's creator can dispute this claim.")
    if claim.status != ClaimStatus.ACTIVE:
        raise DomainError(
            f"This claim is {claim.get_status_display().lower()}.", code=ErrorCode.INVALID_STATE
        )
    took_effect = claim.effective_from or claim.created_at
    if timezone.now() > took_effect + timedelta(days=DISPUTE_WINDOW_DAYS):
        raise DomainError(
            f"Claims can be disputed within {DISPUTE_WINDOW_DAYS} days.",
            code=MarketplaceError.TOO_LATE,
        )
    if not reason.strip():
        raise DomainError("Say why the claim is wrong.", code=ErrorCode.REQUIRED, field="reason")
    dispute = Dispute.objects.create(
        claim=claim,
        opened_by=by,
        reason=reason.strip(),
        deadline=timezone.now() + timedelta(days=DISPUTE_ANSWER_DAYS),
    )
    claim.status = ClaimStatus.DISPUTED
    claim.save(update_fields=["status", "updated_at"])
    _audit_claim(claim, by=by, action="dispute.opened", reason=dispute.reason, dispute=dispute)
    accounts_services.notify(
        users=_claimant_members(claim),
        kind="dispute.opened",
        title=f"Your claim on “{claim.work.title[:60]}” is disputed",
        body=f"{by}: {dispute.reason}\nRelease or uphold it within {DISPUTE_ANSWER_DAYS} days, "
        "or it is released.",
        url="/dashboard/claims/",
    )
    return dispute


@transaction.atomic
def dispute_resolve(*, dispute: Dispute, by: User | None, uphold: bool, note: str = "") -> Dispute:
    """Settle a dispute. The claimant (its owners and managers) or staff may; ``by`` is
    None for the deadline. Release: the escrow goes to the original recipients and a
    block is lifted. Uphold: the escrow goes to the claimant and a block stays."""
    dispute = (
        Dispute.objects.select_for_update()
        .select_related("claim__work", "claim__organization")
        .get(pk=dispute.pk)
    )
    claim = dispute.claim
    if by is not None and not by.is_staff:
        role = accounts_selectors.membership_role(organization=claim.organization, user=by)
        if role not in EDITOR_ROLES:
            raise NotPermitted("Only the claimant or staff can settle this dispute.")
    if dispute.status not in (DisputeStatus.OPEN, DisputeStatus.ESCALATED):
        raise DomainError(
            f"This dispute is already {dispute.get_status_display().lower()}.",
            code=ErrorCode.INVALID_STATE,
        )
    now = timezone.now()
    dispute.status = DisputeStatus.UPHELD if uphold else DisputeStatus.RELEASED
    dispute.resolved_by = by
    dispute.resolved_at = now
    dispute.resolution_note = note[:300]
    dispute.save(
        update_fields=["status", "resolved_by", "resolved_at", "resolution_note", "updated_at"]
    )
    claim.status = ClaimStatus.UPHELD if uphold else ClaimStatus.RELEASED
    claim.resolved_at = now
    claim.save(update_fields=["status", "resolved_at", "updated_at"])
    _audit_claim(
        claim,
        by=by if by is not None else "beat",
        action=f"dispute.{dispute.status}",
        reason=note,
        dispute=dispute,
    )
    events.publish(
        DisputeSettled(
            dispute_id=dispute.pk,
            claim_id=claim.pk,
            work_id=claim.work_id,
            upheld=uphold,
            claimant_organization_id=claim.organization_id,
        )
    )
    if not uphold and claim.policy == ClaimPolicy.BLOCK:
        work_unblock(work=claim.work)
    outcome = "upheld" if uphold else "released"
    accounts_services.notify(
        users=[claim.work.creator, *_claimant_members(claim)],
        kind=f"dispute.{outcome}",
        title=f"The claim on “{claim.work.title[:60]}” was {outcome}",
        body=note or ("The deadline passed without a decision." if by is None else ""),
        url=claim.work.get_absolute_url(),
    )
    return dispute


def dispute_escalate(*, dispute: Dispute, by: User) -> Dispute:
    """The creator or the claimant asks staff to decide, within DISPUTE_ESCALATION_DAYS
    from now; a dispute staff leave undecided by then is released (disputes_expire)."""
    with transaction.atomic():
        dispute = (
            Dispute.objects.select_for_update().select_related("claim__work").get(pk=dispute.pk)
        )
        claim = dispute.claim
        is_party = (
            claim.work.creator_id == by.pk
            or accounts_selectors.membership_role(organization=claim.organization, user=by)
            in EDITOR_ROLES
        )
        if not is_party:
            raise NotPermitted("Only the creator or the claimant can escalate this dispute.")
        if dispute.status != DisputeStatus.OPEN:
            raise DomainError(
                "Only an open dispute can be escalated.", code=ErrorCode.INVALID_STATE
            )
        dispute.status = DisputeStatus.ESCALATED
        dispute.deadline = timezone.now() + timedelta(days=DISPUTE_ESCALATION_DAYS)
        dispute.save(update_fields=["status", "deadline", "updated_at"])
        _audit_claim(claim, by=by, action="dispute.escalated", dispute=dispute)
        accounts_services.notify(
            users=[claim.work.creator, *_claimant_members(claim)],
            kind="dispute.escalated",
            title=f"Our staff will decide the claim on “{claim.work.title[:60]}”",
            body=f"By {dispute.deadline:%d %b %Y}; if they have not decided by then, the "
            "claim is released.",
            url=claim.work.get_absolute_url(),
        )
    return dispute


@transaction.atomic
def claim_release(*, claim: Claim, by: User) -> Claim:
    """The claimant withdraws an undisputed claim."""
    claim = _locked(claim)
    if (
        accounts_selectors.membership_role(organization=claim.organization, user=by)
        not in EDITOR_ROLES
    ):
        raise NotPermitted("Only the claimant can release this claim.")
    if claim.status != ClaimStatus.ACTIVE:
        raise DomainError(
            "Only an active, undisputed claim can be released here.", code=ErrorCode.INVALID_STATE
        )
    claim.status = ClaimStatus.RELEASED
    claim.resolved_at = timezone.now()
    claim.save(update_fields=["status", "resolved_at", "updated_at"])
    _audit_claim(claim, by=by, action="claim.released")
    if claim.policy == ClaimPolicy.BLOCK:
        work_unblock(work=claim.work)
    return claim


EXPIRY_NOTES: dict[str, str] = {
    DisputeStatus.OPEN: "Released: the claimant did not answer in time.",
    DisputeStatus.ESCALATED: "Released: our staff did not decide in time.",
}


def disputes_expire(*, now: datetime | None = None, batch: int = 200) -> int:
    """Release every dispute left undecided past its deadline: unanswered by the
    claimant, or escalated and not decided by staff in time."""
    now = now or timezone.now()
    due = list(
        Dispute.objects.filter(status__in=list(EXPIRY_NOTES), deadline__lte=now).order_by(
            "deadline", "id"
        )[:batch]
    )
    for dispute in due:
        dispute_resolve(dispute=dispute, by=None, uphold=False, note=EXPIRY_NOTES[dispute.status])
    return len(due)
