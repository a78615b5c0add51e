"""Writes on made works: deletion (by its creator, staff or the person it shows), blocks
and the effect of an ended licence."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core.errors import NotPermitted
from licensing import selectors as licensing_selectors
from licensing.enums import CharacterKind
from marketplace.enums import ClaimPolicy, ClaimStatus, GenerationStatus, OutcomeCode, WorkStatus
from marketplace.models import GenerationRequest, Work
from marketplace.services.approvals import work_approvals_withdraw
from marketplace.services.counters import work_publication_moved
from marketplace.services.feed import feed_entries_sync
from marketplace.services.transitions import generation_transition, outcome_reason

if TYPE_CHECKING:
    from accounts.models import User


def _shows_likeness_of(work: Work, user: User) -> bool:
    return work.licenses.filter(
        character__kind=CharacterKind.LIKENESS, character__owner_user=user
    ).exists() or (
        GenerationRequest.objects.filter(pk=work.request_id, characters__owner_user=user).exists()
    )


def _delete_files(work: Work) -> None:
    work.video.delete(save=False)
    work.poster.delete(save=False)


def work_delete(*, work: Work, by: User) -> Work:
    """Delete a work and its files. Its creator may, staff may, and so may the person
    whose likeness it shows, whatever its state (drafts waiting for approval included)."""
    if work.creator_id != by.pk and not by.is_staff and not _shows_likeness_of(work, by):
        raise NotPermitted("Only the creator or the person it shows can delete this video.")
    with transaction.atomic():
        work = Work.objects.select_for_update().get(pk=work.pk)
        if work.status == WorkStatus.DELETED:
            return work
        was_pending = work.status == WorkStatus.PENDING_APPROVAL
        was_published = work.status == WorkStatus.PUBLISHED
        work.status = WorkStatus.DELETED
        work.save(update_fields=["status", "updated_at"])
        work_publication_moved(
            parent_id=work.parent_id, was_published=was_published, published=False
        )
        feed_entries_sync(work_ids=[work.pk])
        if was_pending:
            reason = "The video was deleted before it was approved."
            generation_transition(
                request_id=work.request_id,
                to=GenerationStatus.REFUSED,
                note=reason,
                reason=reason,
                outcome=outcome_reason(OutcomeCode.DELETED_BEFORE_APPROVAL, reason),
            )
            work_approvals_withdraw(work_id=work.pk)
        transaction.on_commit(lambda: _delete_files(work))
    return work


def work_block(*, work: Work, reason: str) -> Work:
    """Delist a work: gone from the feed and unplayable to everyone but its creator."""
    with transaction.atomic():
        delisted = Work.objects.filter(pk=work.pk, status=WorkStatus.PUBLISHED).update(
            status=WorkStatus.DELISTED, updated_at=timezone.now()
        )
        work_publication_moved(
            parent_id=work.parent_id, was_published=bool(delisted), published=False
        )
        feed_entries_sync(work_ids=[work.pk])
    work.refresh_from_db(fields=["status"])
    return work


def work_unblock(*, work: Work) -> Work:
    """Lift a block, unless another blocking claim still stands."""
    still_blocked = work.claims.filter(
        policy=ClaimPolicy.BLOCK,
        status__in=[ClaimStatus.ACTIVE, ClaimStatus.DISPUTED, ClaimStatus.UPHELD],
    ).exists()
    if not still_blocked:
        with transaction.atomic():
            relisted = Work.objects.filter(pk=work.pk, status=WorkStatus.DELISTED).update(
                status=WorkStatus.PUBLISHED, updated_at=timezone.now()
            )
            work_publication_moved(
                parent_id=work.parent_id, was_published=False, published=bool(relisted)
            )
            feed_entries_sync(work_ids=[work.pk])
    work.refresh_from_db(fields=["status"])
    return work


def works_apply_revocation(*, grant_id, policy: str, reason: str) -> int:
    """Apply an ended licence's ``on_revoke`` to the works made under it: keep them,
    delist them, or delete them (files included). Returns how many changed."""
    works = (
        Work.objects.filter(licenses__grant_id=grant_id)
        .exclude(status=WorkStatus.DELETED)
        .distinct()
    )
    changed = 0
    for work in works:
        if policy == "delist" and work.status == WorkStatus.PUBLISHED:
            work_block(work=work, reason=reason)
            changed += 1
        elif policy == "delete":
            with transaction.atomic():
                locked = Work.objects.select_for_update().get(pk=work.pk)
                if locked.status == WorkStatus.PENDING_APPROVAL:
                    generation_transition(
                        request_id=locked.request_id,
                        to=GenerationStatus.REFUSED,
                        note=reason,
                        reason=reason,
                        outcome=outcome_reason(OutcomeCode.LICENCE_ENDED, reason),
                    )
                work_publication_moved(
                    parent_id=locked.parent_id,
                    was_published=locked.status == WorkStatus.PUBLISHED,
                    published=False,
                )
                locked.status = WorkStatus.DELETED
                locked.save(update_fields=["status", "updated_at"])
                feed_entries_sync(work_ids=[locked.pk])
                transaction.on_commit(functools.partial(_delete_files, locked))
            changed += 1
    return changed


# Before a work exists: what a revoked licence stops (a work awaiting approval follows
# the licence's on_revoke instead, as published ones do).
_UNFINISHED = (
    GenerationStatus.QUEUED,
    GenerationStatus.CHECKING,
    GenerationStatus.RENDERING,
    GenerationStatus.SIGNING,
)


def generations_fail_for_revoked_grant(*, grant_id, reason: str) -> int:
    """Fail, with ``reason``, the revoked grant's licensee's generations of its
    character that have not finished (their fee holds are released with them:
    GenerationEnded). Returns how many were failed."""
    grant = licensing_selectors.grants_by_id(ids=[grant_id]).get(grant_id)
    if grant is None:
        return 0
    unfinished = (
        GenerationRequest.objects.filter(
            creator_id=grant.licensee_id,
            characters=grant.character_id,
            status__in=_UNFINISHED,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    failed = 0
    for request_id in unfinished:
        # Locked and re-read by the transition: one that finished meanwhile is left.
        with transaction.atomic():
            locked = GenerationRequest.objects.select_for_update().get(pk=request_id)
            if locked.status in _UNFINISHED:
                generation_transition(
                    request_id=request_id,
                    to=GenerationStatus.FAILED,
                    note=reason,
                    reason=reason,
                    outcome=outcome_reason(OutcomeCode.LICENCE_ENDED, reason),
                )
                failed += 1
    return failed
