"""Writes for grants: accepting an offer version, approval by the licensor, ending."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts import services as accounts_services
from core import events
from core.audit import audit_record
from core.errors import DomainError, ErrorCode, NotPermitted
from core.money import format_minor
from licensing import selectors
from licensing.enums import (
    GRANT_TRANSITIONS,
    LIVE_GRANT_STATUSES,
    GrantStatus,
    LicensingError,
    OfferStatus,
)
from licensing.events import GrantRequestClosed
from licensing.models import Character, Grant, GrantEvent, Offer
from licensing.policy.engine import audience_refusal
from licensing.selectors import character_can_edit
from licensing.services._common import character_stream
from licensing.services.caps import CapReached, caps_lock
from licensing.terms import Terms

if TYPE_CHECKING:
    from accounts.models import User


class PriceChanged(DomainError):
    code = LicensingError.PRICE_CHANGED
    status_code = 409


def _record(grant: Grant, *, from_status: str, by: User | None, note: str = "") -> None:
    GrantEvent.objects.create(
        grant=grant, from_status=from_status, to_status=grant.status, actor=by, note=note[:200]
    )
    audit_record(
        action=f"grant.{grant.status}",
        actor=by,
        subject=grant,
        scope=character_stream(grant.character),
        data={"from": from_status, "character": grant.character_id, "licensee": grant.licensee_id},
        reason=note,
    )


@transaction.atomic
def grant_accept(
    *, offer: Offer, by: User, max_fee: int, max_rev_share_bps: int, max_generation_fee: int
) -> Grant:
    """Accept the current published version of ``offer``'s series.

    Price protection: refused (PriceChanged, 409) if that version's upfront fee, revenue
    share or fee per generated video exceeds what the creator agreed to (``max_fee``,
    ``max_rev_share_bps``, ``max_generation_fee``), which happens when the licensor
    published a costlier version in between; the grant stores all three. The character
    row is locked so that a licensee cap is never exceeded by concurrent acceptances.
    Only a person who has confirmed their email address may accept (EmailUnverified,
    403)."""
    accounts_services.user_require_verified_email(user=by, to="accept a licence")
    caps_lock(character_ids=[offer.character_id])
    character = Character.objects.get(pk=offer.character_id)
    current = (
        Offer.objects.filter(series=offer.series, status=OfferStatus.PUBLISHED)
        .select_related("character")
        .first()
    )
    if current is None:
        raise DomainError(
            "This offer is no longer available.", code=LicensingError.OFFER_UNAVAILABLE
        )
    if character.disallowed or character.status != "active":
        raise DomainError(
            f"{character.name} cannot be licensed at the moment.", code=LicensingError.UNAVAILABLE
        )
    terms = current.parsed_terms
    if terms.upfront_fee > max_fee:
        raise PriceChanged(
            f"The upfront fee is now {format_minor(terms.upfront_fee, terms.currency)}, above the "
            f"{format_minor(max_fee, terms.currency)} you agreed to. "
            f"Review the new terms (version {current.version}).",
            field="max_fee",
        )
    if terms.rev_share_bps > max_rev_share_bps:
        raise PriceChanged(
            f"The rightsholder's revenue share is now {terms.rev_share_bps / 100:g}%, above the "
            f"{max_rev_share_bps / 100:g}% you agreed to. Review version {current.version}.",
            field="max_rev_share_bps",
        )
    _require_generation_fee_agreed(terms, current, max_generation_fee)
    now = timezone.now()
    if terms.ends_at and now >= terms.ends_at:
        raise DomainError("This offer's licence window has closed.", code=ErrorCode.EXPIRED)
    audience = selectors.audience_facts(character=character, user=by)
    problem = audience_refusal(terms, audience, licensee_id=str(by.pk), approved=True)
    if problem:
        raise NotPermitted(problem)
    if Grant.objects.filter(
        licensee=by, series=current.series, status__in=LIVE_GRANT_STATUSES
    ).exists():
        raise DomainError(
            f"You already hold a licence for {character.name} under this offer.",
            code=ErrorCode.DUPLICATE,
        )
    if terms.max_licensees is not None:
        taken = Grant.objects.filter(series=current.series, status__in=LIVE_GRANT_STATUSES).count()
        if taken >= terms.max_licensees:
            raise CapReached(
                f"All {terms.max_licensees} licences for {character.name} are taken.",
                code=LicensingError.CAP_LICENSEES,
            )

    needs_approval = terms.approval == "per_licensee" or (
        terms.audience == "approved"
        and not audience.is_owner
        and str(by.pk) not in terms.audience_allowlist
    )
    if terms.upfront_fee > 0:
        status = GrantStatus.PENDING_PAYMENT
    elif needs_approval:
        status = GrantStatus.PENDING_APPROVAL
    else:
        status = GrantStatus.ACTIVE
    grant = Grant.objects.create(
        offer=current,
        series=current.series,
        character=character,
        licensee=by,
        status=status,
        max_fee=max_fee,
        max_rev_share_bps=max_rev_share_bps,
        max_generation_fee=max_generation_fee,
        activated_at=now if status == GrantStatus.ACTIVE else None,
        approval_deadline=_approval_deadline(current, now)
        if status == GrantStatus.PENDING_APPROVAL
        else None,
    )
    _record(grant, from_status="", by=by, note=f"accepted version {current.version}")
    if status == GrantStatus.ACTIVE:
        _notify_licensee(grant, "is active")
    elif status == GrantStatus.PENDING_APPROVAL:
        _notify_licensors(grant)
    return grant


def _require_generation_fee_agreed(terms: Terms, current: Offer, agreed: int) -> None:
    """Refuse a version that charges more per generated video than ``agreed``. The
    message names the field, since an API client that leaves it out agrees to none."""
    if terms.per_generation_fee <= agreed:
        return
    raise PriceChanged(
        f"Version {current.version} charges "
        f"{format_minor(terms.per_generation_fee, terms.currency)} per video, above the "
        f"{format_minor(agreed, terms.currency)} per video you agreed to "
        f"(max_generation_fee). Review its terms and accept again with "
        f"max_generation_fee of at least {terms.per_generation_fee}.",
        field="max_generation_fee",
    )


def _approval_deadline(offer: Offer, now: datetime) -> datetime:
    """When a licence request waiting for the rightsholder is declined by default: the
    offer's review deadline, as for per-work approvals."""
    return now + timedelta(hours=offer.parsed_terms.approval_deadline_hours)


def _notify_licensors(grant: Grant) -> None:
    assert grant.approval_deadline is not None  # set on entering pending_approval
    accounts_services.notify(
        users=selectors.character_licensors(character=grant.character),
        kind="approval.requested",
        title=f"{grant.licensee} asks to use {grant.character.name}",
        body=f"Decide by {grant.approval_deadline:%d %b %H:%M} UTC, or the request is "
        "declined (and any fee paid for it refunded).",
        url="/dashboard/approvals/",
        # Per wait: a licence sent back to approval asks again.
        key=f"{_request_key(grant)}:{grant.approval_deadline.isoformat()}",
    )


def _request_key(grant: Grant) -> str:
    """The key of the rightsholders' "asks to use" notifications: marked read once the
    request is decided (approved, declined, or declined by its deadline)."""
    return f"approval.requested:{grant.pk}"


def _notify_licensee(grant: Grant, what: str) -> None:
    if grant.status != GrantStatus.PENDING_APPROVAL:
        accounts_services.notifications_mark_handled(key_prefix=_request_key(grant))
    accounts_services.notify(
        users=[grant.licensee],
        kind=f"grant.{grant.status}",
        title=f"Your licence for {grant.character.name} {what}",
        url="/grants/",
        key=f"grant.{grant.status}:{grant.pk}:{grant.updated_at.isoformat()}",
    )


def grant_transition(*, grant: Grant, to: str, by: User | None, note: str = "") -> Grant:
    """Move a grant's status along the allowed map, recording the event. Locks the row."""
    with transaction.atomic():
        grant = Grant.objects.select_for_update().get(pk=grant.pk)
        if to not in GRANT_TRANSITIONS[grant.status]:
            raise DomainError(
                f"A grant that is {grant.get_status_display().lower()} cannot become "
                f"{GrantStatus(to).label.lower()}.",
                code=ErrorCode.INVALID_TRANSITION,
            )
        previous = grant.status
        grant.status = to
        fields = ["status", "updated_at"]
        now = timezone.now()
        if to == GrantStatus.ACTIVE:
            grant.activated_at = now
            fields.append("activated_at")
        if to == GrantStatus.PENDING_APPROVAL:
            grant.approval_deadline = _approval_deadline(grant.offer, now)
            fields.append("approval_deadline")
        if to in (GrantStatus.ENDED, GrantStatus.REVOKED):
            grant.ended_at = now
            grant.end_reason = note[:200]
            fields += ["ended_at", "end_reason"]
        grant.save(update_fields=fields)
        _record(grant, from_status=previous, by=by, note=note)
        if to == GrantStatus.PENDING_APPROVAL and previous != to:
            _notify_licensors(grant)
        if previous == GrantStatus.PENDING_APPROVAL and to in (
            GrantStatus.ENDED,
            GrantStatus.REVOKED,
        ):
            # The licence never started: whatever was paid for it goes back.
            events.publish(
                GrantRequestClosed(
                    grant_id=grant.pk,
                    reason=f"the licence for {grant.character.name} closed before it "
                    f"started ({note or to})",
                )
            )
    return grant


def _require_licensor(grant: Grant, by: User) -> None:
    if not character_can_edit(character=grant.character, user=by):
        raise NotPermitted("Only the character's rightsholder can decide on this licence.")


def _require_waiting(grant: Grant) -> None:
    if grant.status != GrantStatus.PENDING_APPROVAL:
        raise DomainError("This licence is not waiting for approval.", code=ErrorCode.INVALID_STATE)
    if grant.approval_deadline is not None and timezone.now() >= grant.approval_deadline:
        raise DomainError(
            "The deadline to decide has passed; the request was declined.",
            code=ErrorCode.EXPIRED,
        )


def grant_approve(*, grant: Grant, by: User) -> Grant:
    """The licensor admits a licensee waiting for approval, before the deadline."""
    _require_licensor(grant, by)
    _require_waiting(grant)
    grant = grant_transition(grant=grant, to=GrantStatus.ACTIVE, by=by, note="approved")
    _notify_licensee(grant, "was approved and is active")
    return grant


def grant_reject(*, grant: Grant, by: User, reason: str = "") -> Grant:
    """The licensor declines a licensee waiting for approval; any fee paid for the
    licence is refunded (GrantRequestClosed)."""
    _require_licensor(grant, by)
    _require_waiting(grant)
    grant = grant_transition(
        grant=grant, to=GrantStatus.REVOKED, by=by, note=reason or "declined by the rightsholder"
    )
    _notify_licensee(grant, f"was declined{': ' + reason if reason else ''}")
    return grant


def grants_approval_expire(*, now: datetime | None = None, batch: int = 200) -> int:
    """Decline every licence request left undecided past its deadline (review defaults
    to deny), in bounded batches; any fee paid is refunded (GrantRequestClosed).
    Returns how many were declined."""
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            due = list(
                Grant.objects.select_for_update(skip_locked=True)
                .filter(status=GrantStatus.PENDING_APPROVAL, approval_deadline__lte=now)
                .select_related("character", "licensee")
                .order_by("approval_deadline", "id")[:batch]
            )
            for grant in due:
                declined = grant_transition(
                    grant=grant,
                    to=GrantStatus.REVOKED,
                    by=None,
                    note="declined: the rightsholder did not decide in time",
                )
                _notify_licensee(declined, "was declined: the rightsholder did not decide in time")
        expired += len(due)
        if len(due) < batch:
            return expired


def grant_end(*, grant: Grant, by: User, reason: str = "") -> Grant:
    """The creator ends their own licence going forward: no new generations."""
    if grant.licensee_id != by.pk:
        raise NotPermitted("Only the licensee can end this licence.")
    return grant_transition(
        grant=grant, to=GrantStatus.ENDED, by=by, note=reason or "ended by the licensee"
    )
