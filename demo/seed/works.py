"""Videos: each made by the real generation pipeline, its four steps run in this
process (check and charge, render with the local backend, sign, route), as the Celery
chain would run them. Per-work approvals are then decided by the likeness owner."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from django.core.management.base import CommandError

from demo.seed.data import WORKS, WorkSpec
from demo.seed.progress import Progress
from marketplace import selectors as marketplace_selectors
from marketplace import services as marketplace
from marketplace.enums import GenerationStatus
from marketplace.generation.base import MIN_SECONDS

if TYPE_CHECKING:
    from accounts.models import User
    from licensing.models import Character
    from marketplace.models import Storyline, Work


PIPELINE = (
    marketplace.generation_check,
    marketplace.generation_render,
    marketplace.generation_sign,
    marketplace.generation_route,
)
SETTLED = (GenerationStatus.PUBLISHED, GenerationStatus.AWAITING_APPROVAL)


def seed_works(
    users: dict[str, User], characters: dict[str, Character], *, progress: Progress
) -> dict[str, Work]:
    """Every demo work, parents before remixes. A request already made (found by its
    creator and prompt) is not made again; one a crash left half way is finished."""
    works: dict[str, Work] = {}
    for spec in progress.each("Rendering demo videos", WORKS):
        works[spec.key] = make_work(spec, users, characters, works)
    return works


def make_work(
    spec: WorkSpec,
    users: dict[str, User],
    characters: dict[str, Character],
    made: dict[str, Work],
    *,
    storyline: Storyline | None = None,
) -> Work:
    """One demo work (a take of ``storyline``, if given), made once."""
    creator = users[spec.creator]
    request = marketplace_selectors.request_by_prompt(creator=creator, prompt=spec.prompt)
    if request is None:
        request = marketplace.generation_request_create(
            creator=creator,
            prompt=spec.prompt,
            character_ids=[characters[name].pk for name in spec.characters],
            parent=made[spec.parent] if spec.parent else None,
            duration_s=MIN_SECONDS,  # the shortest clip keeps the seed to seconds
            commercial=spec.commercial,
            seed=zlib.crc32(spec.prompt.encode()) % 2**31,  # the same video everywhere
            backend="local",
            enqueue=False,  # the steps run right here, below
            storyline=storyline,
        )
    if request.status not in SETTLED:
        for step in PIPELINE:
            step(request_id=request.pk)
        request.refresh_from_db()
    if request.status not in SETTLED:
        raise CommandError(
            f"The demo video {spec.key} ({spec.prompt!r}) was {request.status}: {request.reason}"
        )
    work = marketplace_selectors.work_of_request(request=request)
    assert work is not None  # a settled request has its work
    if spec.approve:
        _approve(work)
        work.refresh_from_db()
    return work


def _approve(work: Work) -> None:
    """The rightsholder approves every pending review of this work."""
    for approval in marketplace_selectors.work_approvals_pending(work=work):
        reviewer = approval.character.owner_user
        if reviewer is None:  # the demo asks for review only on a likeness
            raise CommandError(f"{approval.character.name} has no person to review it.")
        marketplace.work_approval_decide(
            approval=approval, by=reviewer, approve=True, note="Lovely, thank you!"
        )
