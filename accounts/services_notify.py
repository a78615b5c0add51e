"""Social notices, told in batches. A beat task (``accounts.social_notifications``)
turns each person's pending ``SocialEvent`` rows into one notification per kind and
target ("Ken and 3 others liked “Sunset duel”") and deletes them in the same
transaction, each notification keyed by its group's first event, so a retried or
concurrent run tells once."""

from __future__ import annotations

from itertools import groupby

from django.db import transaction

from accounts.enums import SocialKind
from accounts.models import NotificationSettings, SocialEvent, User
from accounts.selectors_social import SETTING_OF_KIND
from accounts.services import notify

# Pending events turned into notices per run (the beat runs every few minutes, and a
# run that fills the batch leaves the rest to the next).
SOCIAL_BATCH = 2_000


def _names(actors: list[User]) -> str:
    first = str(actors[0])
    if len(actors) == 1:
        return first
    if len(actors) == 2:
        return f"{first} and {actors[1]}"
    return f"{first} and {len(actors) - 1} others"


def _title(kind: str, actors: list[User], target_title: str) -> str:
    who = _names(actors)
    if kind == SocialKind.FOLLOW:
        return f"{who} started following you"
    verb = "liked" if kind == SocialKind.LIKE else "commented on"
    return f"{who} {verb} “{target_title}”"


def _tell(group: list[SocialEvent]) -> None:
    first = group[0]
    actors = list({e.actor_id: e.actor for e in group}.values())
    body = ""
    if first.kind == SocialKind.COMMENT:
        body = "\n".join(f"{e.actor}: {e.excerpt}" for e in group[:5] if e.excerpt)
    url = first.target_url or ""
    notify(
        users=[first.recipient],
        kind=f"social.{first.kind}",
        title=_title(first.kind, actors, first.target_title),
        body=body,
        url=url,
        # Keyed by the group's first event: a rerun of the same batch tells once.
        key=f"social.{first.kind}:{first.target or 'you'}:{first.pk}",
    )


def social_notifications_send(*, limit: int = SOCIAL_BATCH) -> int:
    """Tell each person their pending social events, one notification per kind and
    target, and forget the events, all in one transaction (a run killed half way tells
    nothing and leaves them for the next). Events of a kind turned off since are dropped.
    Rows another run holds are skipped. Returns how many notifications were made."""
    told = 0
    with transaction.atomic():
        ids = list(
            SocialEvent.objects.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return 0
        events = list(
            SocialEvent.objects.filter(pk__in=ids)
            .select_related("actor", "recipient")
            .order_by("recipient_id", "kind", "target", "id")
        )
        settings = {
            s.user_id: s
            for s in NotificationSettings.objects.filter(
                user_id__in={e.recipient_id for e in events}
            )
        }
        default = NotificationSettings()
        for _, grouped in groupby(events, key=lambda e: (e.recipient_id, e.kind, e.target)):
            group = list(grouped)
            first = group[0]
            wanted = settings.get(first.recipient_id, default)
            if not getattr(wanted, SETTING_OF_KIND[first.kind]):
                continue
            _tell(group)
            told += 1
        SocialEvent.objects.filter(pk__in=ids).delete()
    return told
