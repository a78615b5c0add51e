"""The feed's cards as the web pages show them: a feed entry's stored payload
(marketplace/services/feed.py) with what ``_feed_items.html`` reads of a work, its video
and poster signed, and no model instance built."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.urls import reverse

from core.media import public_media_url
from marketplace.selectors import Social


@dataclass
class FeedCard:
    """One work of a feed page. ``signed`` tells the template that ``video_url`` and
    ``poster_url`` are ready (a ``Work`` of the storyline pages is signed there)."""

    pk: uuid.UUID
    title: str
    creator: str
    creator_id: uuid.UUID
    commercial: bool
    video_url: str
    poster_url: str
    character_names: list[str]
    social: Social | None = field(default=None)
    signed: bool = True

    def get_absolute_url(self) -> str:
        return reverse("marketplace:work_detail", kwargs={"pk": self.pk})


def feed_cards(payloads: list[dict]) -> list[FeedCard]:
    """The cards of a page of feed entries' payloads, in their order."""
    return [
        FeedCard(
            pk=uuid.UUID(p["id"]),
            title=p["title"],
            creator=p["creator"],
            creator_id=uuid.UUID(p["creator_id"]),
            commercial=p["commercial"],
            # A work in the feed is published: its files are public.
            video_url=public_media_url(p["video"]),
            poster_url=public_media_url(p["poster"]),
            character_names=[row["character_name"] for row in p["licenses"]],
        )
        for p in payloads
    ]
