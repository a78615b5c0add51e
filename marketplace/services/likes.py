"""Likes on works: a viewer likes a published work once, and may take it back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from rest_framework import status

from core.errors import DomainError, ErrorCode
from marketplace.enums import WorkStatus
from marketplace.models import Like, Work

if TYPE_CHECKING:
    from accounts.models import User


class NotPublished(DomainError):
    """The work is not published (a draft, delisted or deleted): 409."""

    code = ErrorCode.INVALID_STATE
    status_code = status.HTTP_409_CONFLICT


def like_work(*, work: Work, user: User) -> Like:
    """Like a published work. Liking twice is harmless and returns the same row; a work
    that is not published (a draft, delisted, deleted) cannot be liked."""
    if work.status != WorkStatus.PUBLISHED:
        raise NotPublished("Only published videos can be liked.")
    try:
        with transaction.atomic():
            like, _ = Like.objects.get_or_create(work=work, user=user)
    except IntegrityError:
        # A concurrent like of the same work by the same user won the insert.
        like = Like.objects.get(work=work, user=user)
    return like


def unlike_work(*, work: Work, user: User) -> None:
    """Take a like back; a work never liked is left as it is. Allowed whatever the
    work's state, so a like on a work since delisted can still be withdrawn."""
    Like.objects.filter(work=work, user=user).delete()
