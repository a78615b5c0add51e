"""Social notices, recorded: a follow, a like or a comment records a pending
``SocialEvent`` for the person it concerns (unless they turned that kind off), and
taking it back before the batch runs deletes it. accounts.services_notify tells them."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.models import NotificationSettings, SocialEvent, User
from accounts.selectors_social import SETTING_OF_KIND, notification_settings_for


def social_event_record(
    *,
    recipient: User,
    actor: User,
    kind: str,
    source: str,
    target: str = "",
    target_title: str = "",
    target_url: str = "",
    excerpt: str = "",
) -> SocialEvent | None:
    """Record that ``actor`` did something ``recipient`` is to be told about. Nothing is
    recorded for one's own doing, for a kind the recipient turned off, or twice for one
    ``source`` still pending. Returns the pending event, or None."""
    if recipient.pk == actor.pk or not recipient.is_active:
        return None
    settings = notification_settings_for(user=recipient)
    if not getattr(settings, SETTING_OF_KIND[kind]):
        return None
    try:
        with transaction.atomic():
            event, _ = SocialEvent.objects.get_or_create(
                source=source[:200],
                defaults={
                    "recipient": recipient,
                    "actor": actor,
                    "kind": kind,
                    "target": target[:100],
                    "target_title": target_title[:200],
                    "target_url": target_url[:300],
                    "excerpt": excerpt[:200],
                },
            )
    except IntegrityError:
        event = SocialEvent.objects.get(source=source[:200])
    return event


def social_event_withdraw(*, source: str) -> int:
    """Forget a pending event whose cause was taken back (an unlike, an unfollow, a
    deleted or hidden comment): it is never told. Returns how many were forgotten."""
    deleted, _ = SocialEvent.objects.filter(source=source[:200]).delete()
    return deleted


def notification_settings_update(
    *, user: User, new_followers: bool, likes: bool, comments: bool
) -> NotificationSettings:
    """Turn each kind of social notice on or off. Turning one off also forgets that
    kind's events still waiting for the batch."""
    settings, _ = NotificationSettings.objects.update_or_create(
        user=user,
        defaults={"new_followers": new_followers, "likes": likes, "comments": comments},
    )
    off = [kind for kind, field in SETTING_OF_KIND.items() if not getattr(settings, field)]
    if off:
        SocialEvent.objects.filter(recipient=user, kind__in=off).delete()
    return settings
