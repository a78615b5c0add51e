"""The demo storyline: Hoshi Studio's "The night the stars fell", its opening video made
by the studio's owner, three creators' takes (each a remix of the opening, licensed
under Hoshi-chan's offer), viewers' likes and comments and one featured take, so a
newcomer sees a storyline with ranked takes and a conversation under them after
`make run`."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from demo.seed.data import STORYLINE
from demo.seed.progress import Progress
from demo.seed.works import make_work
from licensing import selectors as licensing_selectors
from marketplace import selectors_social
from marketplace import selectors_storylines as storyline_selectors
from marketplace import services as marketplace
from marketplace.services.likes import AlreadyLiked

if TYPE_CHECKING:
    from accounts.models import Organization, User
    from licensing.models import Character
    from marketplace.models import Storyline, Work


def seed_storyline(
    users: dict[str, User],
    studios: dict[str, Organization],
    characters: dict[str, Character],
    *,
    progress: Progress,
) -> tuple[Storyline, dict[str, Work]]:
    """The storyline once (found by its studio and title), with its takes."""
    spec = STORYLINE
    studio = studios[spec.owner]
    owner = users[spec.opening.creator]
    works: dict[str, Work] = {}
    works[spec.opening.key] = make_work(spec.opening, users, characters, works)
    storyline = next(
        (
            s
            for s in storyline_selectors.storylines_managed_by(user=owner)
            if s.title == spec.title and s.owner_organization_id == studio.pk
        ),
        None,
    )
    if storyline is None:
        now = timezone.now()
        storyline = marketplace.storyline_create(
            by=owner,
            title=spec.title,
            premise=spec.premise,
            cast=[
                (
                    characters[name],
                    licensing_selectors.cheapest_published_offer(character=characters[name]),
                )
                for name in spec.cast
            ],
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=spec.days_open),
            max_take_s=spec.max_take_s,
            join_policy=spec.join_policy,
            opening=works[spec.opening.key],
        )
    for take in progress.each("Rendering the storyline's takes", spec.takes):
        works[take.key] = make_work(take, users, characters, works, storyline=storyline)
    for key, likers in spec.likes.items():
        for person in likers:
            with contextlib.suppress(AlreadyLiked):  # a second run of the seed
                marketplace.like_work(work=works[key], user=users[person])
    for key, comments in spec.comments.items():
        _comment(works[key], [(users[person], text) for person, text in comments])
    for key in spec.featured:
        marketplace.storyline_take_feature(storyline=storyline, work=works[key], by=owner)
    return storyline, works


def _comment(work: Work, comments: list[tuple[User, str]]) -> None:
    """Post the comments not already there (a second run of the seed posts none)."""
    for author, text in comments:
        shown = selectors_social.work_comments(work=work, user=author).comments
        if not any(c.author_id == author.pk and c.body == text for c in shown):
            marketplace.comment_create(work=work, author=author, body=text)
