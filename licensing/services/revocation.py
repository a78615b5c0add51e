"""Ending offers and grants. An ended offer stops new grants at once; its existing
grants end after the version's ``grace_days``, and their works then follow
``on_revoke`` (keep, delist or delete). A creator ending their own grant stops new
generations at once and their works follow ``on_revoke`` at once. A licensor revoking
one person's licence ends it after the version's ``grace_days`` (at once for none);
then its works follow ``on_revoke`` and the person's unfinished generations of the
character are failed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts import services as accounts_services
from core import events
from core.audit import audit_record
from core.errors import DomainError, ErrorCode, NotPermitted
from licensing import selectors
from licensing.enums import LIVE_GRANT_STATUSES, GrantStatus, OfferStatus
from licensing.events import GrantEnded
from licensing.models import Grant, Offer
from licensing.selectors import character_can_edit
from licensing.services._common import character_stream, require_character_editor
from licensing.services.catalog import catalog_documents_refresh
from licensing.services.grants import grant_end, grant_transition

if TYPE_CHECKING:
    from accounts.models import User


PAST_TENSE = {"keep": "kept", "delist": "delisted", "delete": "deleted"}


@transaction.atomic
def offer_end(*, offer: Offer, by: User) -> Offer:
    """End the offer's current version: no new grants from now; existing grants end
    after its grace period (a beat task applies it). Holders are told now."""
    offer = Offer.objects.select_for_update().select_related("character").get(pk=offer.pk)
    require_character_editor(character=offer.character, by=by)
    current = (
        Offer.objects.select_for_update()
        .filter(series=offer.series, status=OfferStatus.PUBLISHED)
        .first()
    )
    if current is None:
        raise DomainError(
            "This offer has no published version to end.", code=ErrorCode.INVALID_STATE
        )
    now = timezone.now()
    Offer.objects.filter(series=offer.series, status=OfferStatus.DRAFT).delete()
    current.status = OfferStatus.ENDED
    current.ended_at = now
    current.save(update_fields=["status", "ended_at", "updated_at"])
    catalog_documents_refresh(character_ids=[current.character_id])
    terms = current.parsed_terms
    audit_record(
        action="offer.ended",
        actor=by,
        subject=current,
        scope=character_stream(offer.character),
        data={"series": current.series, "version": current.version, "grace_days": terms.grace_days},
    )
    holders = Grant.objects.filter(
        series=current.series, status__in=LIVE_GRANT_STATUSES
    ).select_related("licensee")
    when = now + timedelta(days=terms.grace_days)
    effect = {
        "keep": "your videos stay up",
        "delist": "your videos are delisted",
        "delete": "your videos are deleted",
    }[terms.on_revoke]
    accounts_services.notify(
        users=[g.licensee for g in holders],
        kind="grant.ending",
        title=f"The licence for {current.character.name} is ending",
        body=f"{current.character.rightsholder_name} ended this offer. "
        f"On {when:%d %b %Y} your licence ends and {effect}.",
        url="/grants/",
    )
    return current


class GrantNotRevocable(DomainError):
    code = ErrorCode.INVALID_STATE
    status_code = 409


def grant_revoke(*, grant: Grant, by: User, reason: str) -> Grant:
    """The character's rightsholder takes back one person's active licence. It ends
    after the offer version's grace period (at once when that is 0 days): no new
    generations from then, the works made under it follow the version's ``on_revoke``,
    and the person's unfinished generations of the character are failed with the
    reason (GrantEnded). The licensee is told now. Refused for anyone but the
    licensor (NotPermitted), and for a grant that is not active or is already being
    revoked (409)."""
    reason = reason.strip()[:200] or "revoked by the rightsholder"
    with transaction.atomic():
        grant = (
            Grant.objects.select_for_update()
            .select_related("character", "offer", "licensee")
            .get(pk=grant.pk)
        )
        if not character_can_edit(character=grant.character, user=by):
            raise NotPermitted("Only the character's rightsholder can revoke this licence.")
        if grant.status != GrantStatus.ACTIVE:
            raise GrantNotRevocable(
                f"Only an active licence can be revoked; this one is "
                f"{grant.get_status_display().lower()}."
            )
        if grant.revoke_at is not None:
            raise GrantNotRevocable(
                f"This licence is already being revoked; it ends on {grant.revoke_at:%d %b %Y}."
            )
        terms = grant.offer.parsed_terms
        now = timezone.now()
        grant.revoke_at = now + timedelta(days=terms.grace_days)
        grant.revoke_reason = reason
        grant.save(update_fields=["revoke_at", "revoke_reason", "updated_at"])
        audit_record(
            action="grant.revoke_scheduled",
            actor=by,
            subject=grant,
            scope=character_stream(grant.character),
            data={"revoke_at": grant.revoke_at, "licensee": grant.licensee_id},
            reason=reason,
        )
        effect = {
            "keep": "your videos stay up",
            "delist": "your videos are delisted",
            "delete": "your videos are deleted",
        }[terms.on_revoke]
        when = "now" if terms.grace_days == 0 else f"on {grant.revoke_at:%d %b %Y}"
        accounts_services.notify(
            users=[grant.licensee],
            kind="grant.revoking",
            title=f"Your licence for {grant.character.name} is revoked",
            body=f"{grant.character.rightsholder_name} revoked your licence: {reason}. "
            f"It ends {when}; then {effect}, as its terms say, and generations still "
            "in progress are stopped.",
            url="/grants/",
        )
        if terms.grace_days == 0:
            grant = _revoked_now(grant)
    return grant


def _revoked_now(grant: Grant) -> Grant:
    """End a grant whose revocation is due, and have its works and unfinished
    generations follow (GrantEnded)."""
    terms = grant.offer.parsed_terms
    reason = grant.revoke_reason or "revoked by the rightsholder"
    grant = grant_transition(grant=grant, to=GrantStatus.REVOKED, by=None, note=reason)
    events.publish(
        GrantEnded(
            grant_id=grant.pk,
            on_revoke=terms.on_revoke,
            reason=f"the licence for {grant.character.name} was revoked: {reason}",
            cancel_generations=True,
        )
    )
    return grant


def grants_revoke_due(*, now: datetime | None = None, batch: int = 200) -> int:
    """End the live grants of every ended offer whose grace period has passed (grants
    on older, superseded versions of it included), and apply the ended version's
    on_revoke to their works (GrantEnded); and end the active grants their licensor
    revoked whose grace period has passed. Returns how many grants ended."""
    now = now or timezone.now()
    ended = 0
    while True:
        with transaction.atomic():
            due = list(
                Grant.objects.select_for_update(skip_locked=True)
                .filter(status=GrantStatus.ACTIVE, revoke_at__lte=now)
                .select_related("character", "offer", "licensee")
                .order_by("revoke_at", "id")[:batch]
            )
            for grant in due:
                _revoked_now(grant)
        ended += len(due)
        if len(due) < batch:
            break
    for offer in Offer.objects.filter(
        status=OfferStatus.ENDED, ended_at__isnull=False
    ).select_related("character"):
        terms = offer.parsed_terms
        ended_at = offer.ended_at
        if ended_at is None or now < ended_at + timedelta(days=terms.grace_days):
            continue
        grants = (
            Grant.objects.filter(series=offer.series, status__in=LIVE_GRANT_STATUSES)
            .select_related("character", "licensee")
            .order_by("created_at", "id")[:batch]
        )
        for grant in grants:
            with transaction.atomic():
                grant = grant_transition(
                    grant=grant, to=GrantStatus.REVOKED, by=None, note="the offer ended"
                )
                events.publish(
                    GrantEnded(
                        grant_id=grant.pk,
                        on_revoke=terms.on_revoke,
                        reason=f"licence for {grant.character.name} ended",
                    )
                )
                accounts_services.notify(
                    users=[grant.licensee],
                    kind="grant.ended",
                    title=f"Your licence for {grant.character.name} has ended",
                    body="The offer ended and its grace period is over. The videos you made "
                    f"with it are {PAST_TENSE[terms.on_revoke]}, as its terms say.",
                    url="/grants/",
                )
            ended += 1
    return ended


def grant_end_by_licensee(*, grant: Grant, by: User, reason: str = "") -> Grant:
    """The creator ends their own licence going forward; its works follow on_revoke now
    (GrantEnded)."""
    with transaction.atomic():
        grant = grant_end(grant=grant, by=by, reason=reason)
        terms = grant.offer.parsed_terms
        events.publish(
            GrantEnded(
                grant_id=grant.pk,
                on_revoke=terms.on_revoke,
                reason="the creator ended the licence",
            )
        )
        licensors = [
            u
            for u in selectors.character_licensors(character=grant.character)
            if character_can_edit(character=grant.character, user=u)
        ]
        accounts_services.notify(
            users=licensors,
            kind="grant.ended",
            title=f"{by} ended their licence for {grant.character.name}",
            url="/dashboard/",
        )
    return grant
