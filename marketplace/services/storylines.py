"""Storylines: a rightsholder's canonical beat and the creators' takes of it.

A take is an ordinary generation request (and then work) with ``storyline`` set: it
remixes the opening video when there is one, and it must use at least one of the
storyline's characters, each under the storyline's named offer, so the storyline's
owner is a licensor of every take and is paid upstream by the existing split engine.
The rules are checked when the request is made (a DomainError with a StorylineCode,
nothing created) and the dates again by the policy step, since a request may wait in
the queue past the end (``storyline_take_refusals``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts import selectors as accounts_selectors
from core.errors import DomainError, ErrorCode, NotPermitted
from licensing import selectors as licensing_selectors
from marketplace.enums import StorylineCode, StorylineJoin, StorylineStatus, WorkStatus
from marketplace.models import Storyline, StorylineCharacter, Work
from marketplace.selectors_storylines import storyline_rankings_forget
from marketplace.services.transitions import outcome_reason

if TYPE_CHECKING:
    from accounts.models import User
    from licensing.models import Character, Offer

MAX_TAKE_SECONDS = 15
MIN_TAKE_SECONDS = 4
MAX_CAST = 4


class StorylineNotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    status_code = 404


# --- the rightsholder's writes ---------------------------------------------------------


def _cast_clean(*, cast: Iterable[tuple[Character, Offer]], by: User) -> list[tuple]:
    """The cast as (character, offer) pairs the user may put in one storyline: their own
    characters (all of one owner), each with one of its published offers."""
    pairs = list(cast)
    if not pairs:
        raise DomainError(
            "Choose at least one of your characters for the storyline.",
            code=ErrorCode.REQUIRED,
            field="cast",
        )
    if len(pairs) > MAX_CAST:
        raise DomainError(f"A storyline has at most {MAX_CAST} characters.", field="cast")
    owners = set()
    seen = set()
    for character, offer in pairs:
        if not licensing_selectors.character_can_edit(character=character, user=by):
            raise NotPermitted(f"{character.name} is not one of your characters.")
        if character.pk in seen:
            raise DomainError(f"{character.name} is in the cast twice.", field="cast")
        seen.add(character.pk)
        if offer is None or offer.character_id != character.pk or offer.status != "published":
            raise DomainError(
                f"Choose one of {character.name}'s published offers for the takes.",
                field="cast",
            )
        owners.add((character.owner_organization_id, character.owner_user_id))
    if len(owners) != 1:
        raise DomainError("A storyline's characters all belong to one rightsholder.", field="cast")
    return pairs


def _fields_clean(
    *,
    title: str,
    premise: str,
    starts_at: datetime,
    ends_at: datetime,
    max_take_s: int,
    join_policy: str,
    joiners: list[Character],
    opening: Work | None,
    owner: tuple,
) -> tuple[str, str]:
    title, premise = title.strip(), premise.strip()
    if not title:
        raise DomainError("Give the storyline a title.", code=ErrorCode.REQUIRED, field="title")
    if len(title) > 120:
        raise DomainError("Titles are limited to 120 characters.", field="title")
    if not premise:
        raise DomainError(
            "Say what happens: the premise.", code=ErrorCode.REQUIRED, field="premise"
        )
    if len(premise) > 2_000:
        raise DomainError("Premises are limited to 2,000 characters.", field="premise")
    if ends_at <= starts_at:
        raise DomainError("The storyline must end after it starts.", field="ends_at")
    if not MIN_TAKE_SECONDS <= max_take_s <= MAX_TAKE_SECONDS:
        raise DomainError(
            f"Takes may last at most {MIN_TAKE_SECONDS} to {MAX_TAKE_SECONDS} seconds.",
            field="max_take_s",
        )
    if join_policy not in StorylineJoin.values:
        raise DomainError(
            f"Who may join is one of {', '.join(StorylineJoin.values)}.", field="join_policy"
        )
    if joiners and join_policy != StorylineJoin.LISTED:
        raise DomainError(
            "List characters only when only the listed characters may join.", field="joiners"
        )
    if opening is not None:
        if opening.status != WorkStatus.PUBLISHED:
            raise DomainError("The opening video must be published.", field="opening")
        org_id, user_id = owner
        made_by_owner = (user_id is not None and opening.creator_id == user_id) or (
            org_id is not None
            and opening.creator_id
            in accounts_selectors.organization_editor_ids(organization_id=org_id)
        )
        if not made_by_owner:
            raise DomainError(
                "The opening video must be one the rightsholder made.", field="opening"
            )
    return title, premise


@transaction.atomic
def storyline_create(
    *,
    by: User,
    title: str,
    premise: str,
    cast: Iterable[tuple[Character, Offer]],
    starts_at: datetime,
    ends_at: datetime,
    max_take_s: int = MAX_TAKE_SECONDS,
    join_policy: str = StorylineJoin.NONE,
    joiners: Iterable[Character] = (),
    opening: Work | None = None,
) -> Storyline:
    """Open a storyline of the user's own characters (each with the offer its takes are
    licensed under): anyone else's is NotPermitted (403); other bad input is refused
    naming the field. Either way nothing is created."""
    pairs = _cast_clean(cast=cast, by=by)
    owner = (pairs[0][0].owner_organization_id, pairs[0][0].owner_user_id)
    joiner_list = list(joiners)
    title, premise = _fields_clean(
        title=title,
        premise=premise,
        starts_at=starts_at,
        ends_at=ends_at,
        max_take_s=max_take_s,
        join_policy=join_policy,
        joiners=joiner_list,
        opening=opening,
        owner=owner,
    )
    storyline = Storyline.objects.create(
        owner_organization_id=owner[0],
        owner_user_id=owner[1],
        created_by=by,
        title=title,
        premise=premise,
        opening=opening,
        starts_at=starts_at,
        ends_at=ends_at,
        max_take_s=max_take_s,
        join_policy=join_policy,
    )
    StorylineCharacter.objects.bulk_create(
        StorylineCharacter(storyline=storyline, character=c, offer=o) for c, o in pairs
    )
    storyline.joiners.set(joiner_list)
    return storyline


def _owner_key(storyline: Storyline) -> tuple:
    return (storyline.owner_organization_id, storyline.owner_user_id)


@transaction.atomic
def storyline_update(
    *,
    storyline: Storyline,
    by: User,
    title: str,
    premise: str,
    ends_at: datetime,
    max_take_s: int,
    join_policy: str,
    joiners: Iterable[Character] = (),
) -> Storyline:
    """Change what an open storyline says and its rules for new takes (the cast, the
    opening and the start stay: takes already made rely on them)."""
    storyline = _locked_for(storyline=storyline, by=by)
    if storyline.status == StorylineStatus.CLOSED:
        raise DomainError("A closed storyline cannot be changed.", code=ErrorCode.INVALID_STATE)
    joiner_list = list(joiners)
    title, premise = _fields_clean(
        title=title,
        premise=premise,
        starts_at=storyline.starts_at,
        ends_at=ends_at,
        max_take_s=max_take_s,
        join_policy=join_policy,
        joiners=joiner_list,
        opening=None,
        owner=_owner_key(storyline),
    )
    storyline.title, storyline.premise, storyline.ends_at = title, premise, ends_at
    storyline.max_take_s, storyline.join_policy = max_take_s, join_policy
    storyline.save(
        update_fields=["title", "premise", "ends_at", "max_take_s", "join_policy", "updated_at"]
    )
    storyline.joiners.set(joiner_list)
    return storyline


def storyline_can_manage(*, storyline: Storyline, user: User) -> bool:
    """The person whose storyline it is, or an owner or manager of its organization."""
    if not user.is_authenticated:
        return False
    if storyline.owner_user_id is not None:
        return storyline.owner_user_id == user.pk
    return user.pk in accounts_selectors.organization_editor_ids(
        organization_id=storyline.owner_organization_id
    )


def _locked_for(*, storyline: Storyline, by: User, staff: bool = False) -> Storyline:
    """The storyline's row, locked, if ``by`` manages it (or, with ``staff``, is staff);
    to anyone else it does not exist (404)."""
    if not (staff and by.is_staff) and not storyline_can_manage(storyline=storyline, user=by):
        raise StorylineNotFound("No such storyline.")
    return Storyline.objects.select_for_update().get(pk=storyline.pk)


@transaction.atomic
def storyline_close(*, storyline: Storyline, by: User) -> Storyline:
    """Close the storyline: no new takes (requests still queued are refused by the policy
    step). Its owner closes it, or staff (the admin). Closing twice is harmless."""
    storyline = _locked_for(storyline=storyline, by=by, staff=True)
    if storyline.status != StorylineStatus.CLOSED:
        storyline.status = StorylineStatus.CLOSED
        storyline.closed_at = timezone.now()
        storyline.save(update_fields=["status", "closed_at", "updated_at"])
    return storyline


def _take_of(*, storyline: Storyline, work: Work) -> Work:
    if work.storyline_id != storyline.pk:
        raise DomainError("That video is not a take of this storyline.", field="work_id")
    return work


@transaction.atomic
def storyline_take_feature(*, storyline: Storyline, work: Work, by: User) -> None:
    """Feature a published take: featured takes come first on the storyline's pages."""
    storyline = _locked_for(storyline=storyline, by=by)
    _take_of(storyline=storyline, work=work)
    if work.status != WorkStatus.PUBLISHED:
        raise DomainError("Only a published take can be featured.", code=ErrorCode.INVALID_STATE)
    storyline.featured.add(work)
    storyline_rankings_forget(storyline_ids=[storyline.pk])


@transaction.atomic
def storyline_take_unfeature(*, storyline: Storyline, work: Work, by: User) -> None:
    storyline = _locked_for(storyline=storyline, by=by)
    _take_of(storyline=storyline, work=work)
    storyline.featured.remove(work)
    storyline_rankings_forget(storyline_ids=[storyline.pk])


# --- the rules a take must keep ---------------------------------------------------------


def _refusal(code: StorylineCode, message: str, character=None) -> dict:
    reason = outcome_reason(code, message, character=character)
    reason["term"] = "storyline"
    return reason


def storyline_dates_refusals(*, storyline: Storyline, now: datetime | None = None) -> list[dict]:
    """Whether the storyline takes takes now: open, started and not ended."""
    now = now or timezone.now()
    if storyline.status == StorylineStatus.CLOSED:
        return [_refusal(StorylineCode.CLOSED, f"“{storyline.title}” is closed to new takes.")]
    if now < storyline.starts_at:
        return [_refusal(StorylineCode.NOT_STARTED, f"“{storyline.title}” has not started yet.")]
    if now >= storyline.ends_at:
        return [_refusal(StorylineCode.ENDED, f"“{storyline.title}” has ended.")]
    return []


def storyline_take_refusals(
    *,
    storyline: Storyline,
    creator: User,
    characters: list[Character],
    duration_s: int,
    now: datetime | None = None,
) -> list[dict]:
    """Every storyline rule the take would break, in the shape of the policy engine's
    reasons (so marketplace/refusals.py gives each its words): the dates, the length,
    the characters (at least one of the storyline's; others only as its join rule
    allows) and the offer each storyline character is licensed under."""
    refusals = storyline_dates_refusals(storyline=storyline, now=now)
    if duration_s > storyline.max_take_s:
        refusals.append(
            _refusal(
                StorylineCode.TAKE_TOO_LONG,
                f"Takes of “{storyline.title}” last at most {storyline.max_take_s} seconds.",
            )
        )
    cast = {str(sc.character_id): sc for sc in storyline.cast.select_related("offer")}
    ids = [str(c.pk) for c in characters]
    if not any(cid in cast for cid in ids):
        refusals.append(
            _refusal(
                StorylineCode.NO_CHARACTER,
                f"A take of “{storyline.title}” shows at least one of its characters.",
            )
        )
    joiners = {str(pk) for pk in storyline.joiners.values_list("pk", flat=True)}
    grants = {
        str(g.character_id): g
        for g in licensing_selectors.grants_active_for(
            licensee=creator, character_ids=[c for c in ids if c in cast]
        )
        if str(g.series) == str(cast[str(g.character_id)].offer.series)
    }
    for character in characters:
        cid = str(character.pk)
        if cid in cast:
            if cid not in grants:
                refusals.append(
                    _refusal(
                        StorylineCode.WRONG_OFFER,
                        f"Takes use {character.name} under the offer “{cast[cid].offer.title}”.",
                        character,
                    )
                )
        elif storyline.join_policy == StorylineJoin.NONE or (
            storyline.join_policy == StorylineJoin.LISTED and cid not in joiners
        ):
            refusals.append(
                _refusal(
                    StorylineCode.CHARACTER_NOT_ALLOWED,
                    f"{character.name} may not join “{storyline.title}”.",
                    character,
                )
            )
    return refusals


def storyline_take_precheck(
    *,
    storyline: Storyline,
    creator: User,
    characters: list[Character],
    duration_s: int,
    parent: Work | None,
) -> None:
    """Refuse a take that breaks the storyline's rules before anything is created: a
    DomainError with the first rule's code and words. A take remixes the opening."""
    if storyline.opening_id is not None and (parent is None or parent.pk != storyline.opening_id):
        raise DomainError("A take remixes the storyline's opening video.", field="parent_work_id")
    refusals = storyline_take_refusals(
        storyline=storyline, creator=creator, characters=characters, duration_s=duration_s
    )
    if refusals:
        first = refusals[0]
        raise DomainError(
            " ".join(r["message"] for r in refusals), code=first["code"], field="storyline"
        )
