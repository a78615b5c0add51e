"""Reads for the social loop: comments on a work, people's profiles, their works and
remixes, and whom to follow."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts import selectors as accounts_selectors
from accounts import selectors_social as accounts_social
from accounts.models import User
from licensing import selectors as licensing_selectors
from marketplace.enums import CommentStatus, WorkStatus
from marketplace.models import Comment, Work

PROFILE_PAGE = 12
COMMENTS_SHOWN = 200


def _can_edit_any(work: Work, user: User) -> bool:
    characters = {lic.character_id: lic.character for lic in work.licenses.all()}
    return any(
        licensing_selectors.character_can_edit(character=c, user=user) for c in characters.values()
    )


def comment_moderator_of(*, work: Work, user: User) -> bool:
    """Whether ``user`` may hide and release comments on ``work``: staff, and the
    rightsholders of any character the work licenses (inherited licences included)."""
    if not user.is_authenticated:
        return False
    return bool(user.is_staff) or _can_edit_any(work, user)


@dataclass(frozen=True)
class WorkComments:
    comments: list[Comment]
    visible: int
    moderator: bool


def work_comments(*, work: Work, user: User, limit: int = COMMENTS_SHOWN) -> WorkComments:
    """The comments ``user`` may see on ``work``, oldest first (the newest ``limit``):
    visible ones for everyone; held and hidden ones for their author and the work's
    moderators only. ``visible`` counts the visible ones."""
    moderator = comment_moderator_of(work=work, user=user)
    qs = Comment.objects.filter(work=work).select_related("author")
    if not moderator:
        shown = Q(status=CommentStatus.VISIBLE)
        if user.is_authenticated:
            shown |= Q(author_id=user.pk)
        qs = qs.filter(shown)
    newest = list(qs.order_by("-created_at", "-id")[:limit])
    newest.reverse()
    visible = Comment.objects.filter(work=work, status=CommentStatus.VISIBLE).count()
    return WorkComments(comments=newest, visible=visible, moderator=moderator)


def comment_visible_to(*, pk, work_id, user: User) -> Comment | None:
    """A comment on the work ``work_id`` that ``user`` may see, or None. The caller has
    checked the work is visible to them."""
    comment = Comment.objects.filter(pk=pk, work_id=work_id).select_related("work").first()
    if comment is None or comment.status == CommentStatus.VISIBLE:
        return comment
    if user.is_authenticated and (
        comment.author_id == user.pk or comment_moderator_of(work=comment.work, user=user)
    ):
        return comment
    return None


def visible_comment_counts(*, work_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Visible comments per work, one query."""
    return dict(
        Comment.objects.filter(work_id__in=list(work_ids), status=CommentStatus.VISIBLE)
        .values_list("work_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("work_id", "n")
    )


@dataclass(frozen=True)
class Profile:
    person: User
    followers: int
    following: int
    viewer_follows: bool
    likes_received: int
    works: int
    remixes: int


def profile_of(*, pk, viewer: User) -> Profile | None:
    """A creator's public profile: their follow counts, the likes their published works
    received (the sum of their like counters) and how many originals and remixes they
    published. None for an unknown or inactive person. Two queries."""
    person = accounts_social.active_user(pk=pk)
    if person is None:
        return None
    counts = accounts_social.follow_counts(user=person, viewer=viewer)
    published = Work.objects.filter(creator=person, status=WorkStatus.PUBLISHED)
    row = published.aggregate(
        works=Count("id", filter=Q(parent__isnull=True)),
        remixes=Count("id", filter=Q(parent__isnull=False)),
        likes=Coalesce(Sum("like_count"), 0),
    )
    return Profile(
        person=person,
        followers=counts.followers,
        following=counts.following,
        viewer_follows=counts.viewer_follows,
        likes_received=row["likes"],
        works=row["works"],
        remixes=row["remixes"],
    )


def profile_works(*, person: User, remixes: bool) -> QuerySet[Work]:
    """A person's published originals (or, with ``remixes``, their published remixes,
    with the work each remixes), newest first, each with ``n_likes`` and
    ``n_comments`` (the works' counters): one query per page whatever its length."""
    return (
        Work.objects.filter(creator=person, status=WorkStatus.PUBLISHED, parent__isnull=not remixes)
        .select_related("parent__creator" if remixes else "creator")
        .annotate(n_likes=F("like_count"), n_comments=F("comment_count"))
        .order_by("-published_at", "-id")
    )


def creators_to_follow(*, user: User, limit: int = 6) -> list[User]:
    """Whom ``user`` might follow: the active people with the most published works,
    leaving out themselves and those they follow already."""
    qs = Work.objects.filter(status=WorkStatus.PUBLISHED, creator__is_active=True)
    if user.is_authenticated:
        qs = qs.exclude(creator_id=user.pk).exclude(
            creator_id__in=accounts_selectors.followee_ids(user=user)
        )
    top = list(qs.values("creator_id").annotate(n=Count("id")).order_by("-n", "creator_id")[:limit])
    people = User.objects.in_bulk([row["creator_id"] for row in top])
    return [people[row["creator_id"]] for row in top if row["creator_id"] in people]
