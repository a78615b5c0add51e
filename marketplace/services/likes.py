"""Likes on works: a viewer likes a published work once, and may take it back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from rest_framework import status

from accounts.enums import SocialKind
from accounts.services_social import social_event_record, social_event_withdraw
from core.errors import DomainError, ErrorCode
from marketplace.enums import WorkStatus
from marketplace.models import Like, Work
from marketplace.selectors_storylines import storyline_rankings_forget
from marketplace.services.counters import work_likes_moved

if TYPE_CHECKING:
    from accounts.models import User


class NotPublished(DomainError):
    """The work is not published (a draft, delisted or deleted): 409."""

    code = ErrorCode.INVALID_STATE
    status_code = status.HTTP_409_CONFLICT


class AlreadyLiked(DomainError):
    """The viewer likes this work already: 409 ``duplicate``, nothing changes."""

    code = ErrorCode.DUPLICATE
    status_code = status.HTTP_409_CONFLICT


def _source(*, work: Work, user: User) -> str:
    return f"like:{work.pk}:{user.pk}"


def like_work(*, work: Work, user: User) -> Like:
    """Like a published work, once: liking it again is refused (AlreadyLiked, nothing
    changes), and a work that is not published (a draft, delisted, deleted) cannot be
    liked. The creator hears of it in the next batch of social notices."""
    if work.status != WorkStatus.PUBLISHED:
        raise NotPublished("Only published videos can be liked.")
    try:
        with transaction.atomic():
            like, created = Like.objects.get_or_create(work=work, user=user)
            if created:
                work_likes_moved(work_id=work.pk, by=1)
                storyline_rankings_forget(storyline_ids=[work.storyline_id])
                social_event_record(
                    recipient=work.creator,
                    actor=user,
                    kind=SocialKind.LIKE,
                    source=_source(work=work, user=user),
                    target=f"work:{work.pk}",
                    target_title=work.title,
                    target_url=work.get_absolute_url(),
                )
    except IntegrityError:
        # A concurrent like of the same work by the same user won the insert.
        created = False
    if not created:
        raise AlreadyLiked("You already like this video.")
    return like


def unlike_work(*, work: Work, user: User) -> None:
    """Take a like back; a work never liked is left as it is. Allowed whatever the
    work's state, so a like on a work since delisted can still be withdrawn. A like not
    yet told to the creator is never told."""
    with transaction.atomic():
        deleted, _ = Like.objects.filter(work=work, user=user).delete()
        if deleted:
            work_likes_moved(work_id=work.pk, by=-1)
            storyline_rankings_forget(storyline_ids=[work.storyline_id])
        social_event_withdraw(source=_source(work=work, user=user))
