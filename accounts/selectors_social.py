"""Reads for the social graph: profiles' counts and notification settings."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Q

from accounts.enums import SocialKind
from accounts.models import Follow, NotificationSettings, User

# Each social kind and the setting that turns it off.
SETTING_OF_KIND: dict[str, str] = {
    SocialKind.FOLLOW: "new_followers",
    SocialKind.LIKE: "likes",
    SocialKind.COMMENT: "comments",
}


def notification_settings_for(*, user: User) -> NotificationSettings:
    """The person's settings; everything on (unsaved) if they never changed them."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


@dataclass(frozen=True)
class FollowCounts:
    followers: int
    following: int
    viewer_follows: bool


def follow_counts(*, user: User, viewer: User) -> FollowCounts:
    """How many follow ``user`` and whom they follow, and whether ``viewer`` follows
    them: one query."""
    viewer_id = viewer.pk if viewer.is_authenticated else None
    row = Follow.objects.filter(Q(followee=user) | Q(follower=user)).aggregate(
        followers=Count("id", filter=Q(followee=user)),
        following=Count("id", filter=Q(follower=user)),
        mine=Count("id", filter=Q(followee=user, follower_id=viewer_id)),
    )
    return FollowCounts(
        followers=row["followers"], following=row["following"], viewer_follows=bool(row["mine"])
    )


def active_user(*, pk) -> User | None:
    """An active person by id, or None (a malformed id included)."""
    try:
        return User.objects.filter(pk=pk, is_active=True).first()
    except (ValueError, TypeError, ValidationError):
        return None
