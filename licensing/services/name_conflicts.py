"""Name conflicts (issue 18 §1): a name or alias that a proven owner already holds.

When a character registers a name or alias that a character of *another* owner already
holds, after the normalisation screening matches names in (the registry's joined
skeleton: width, case, kana, look-alike letters and separators folded), and that
character is not a draft (its owner is proven), a ``NameConflict`` opens for staff:

- a conflict on the later character's *name* keeps it a draft while it is open
  (``character_draft_reasons`` names the conflict), so its names screen no one's prompts
  and it stays out of the catalog;
- a conflict on an *alias* holds just that alias (``CharacterAlias.held_by_conflict``):
  it and its derived forms screen nothing until staff decide.

Staff decide with a reason: **allow** (both keep the name: the later character's
standing is refreshed, the alias released) or **uphold** (the earlier holder keeps it:
the later character is archived and its name screens nothing, or the alias is removed).
The owner of a proven character may also report another owner's character that uses its
name; a reported conflict holds nothing until staff uphold it. The later registration's
owners are told when a conflict opens and when it is decided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import services as accounts_services
from core.errors import DomainError, ErrorCode, NotPermitted
from licensing import selectors
from licensing.enums import CharacterStatus, LicensingError, NameConflictOn, NameConflictStatus
from licensing.models import Character, CharacterAlias, NameConflict
from licensing.policy.registry import registry_changed
from licensing.services.catalog import catalog_documents_refresh
from licensing.services.name_conflict_detection import (
    audit_name_conflict,
    holder_label,
    name_key,
    same_owner,
)
from licensing.services.name_forms import name_forms_refresh
from licensing.services.standing import character_standing_refresh

if TYPE_CHECKING:
    from accounts.models import User

MAX_REASON = 2000


class NameConflictExists(DomainError):
    """The same conflict is already waiting for staff: 409."""

    code = ErrorCode.DUPLICATE
    status_code = 409


class NameConflictDecided(DomainError):
    code = ErrorCode.INVALID_STATE
    status_code = 409


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Give the reason for this decision.", code=ErrorCode.REQUIRED, field="reason"
        )
    if len(reason) > MAX_REASON:
        raise DomainError(f"The reason is longer than {MAX_REASON} characters.", field="reason")
    return reason


def _aliases_with_key(*, character: Character, key: str) -> list[CharacterAlias]:
    return [a for a in character.aliases.all() if name_key(text=a.text) == key]


@transaction.atomic
def name_conflict_decide(
    *, conflict: NameConflict, by: User, allow: bool, reason: str
) -> NameConflict:
    """Staff decide an open conflict, with a reason both parties may read.

    Allow: both keep the name; the later character's standing is refreshed (it leaves
    draft if nothing else holds it) or its alias is released. Uphold: the earlier holder
    keeps it; a later character that lost its name is archived (its names then screen
    nothing) unless it was renamed meanwhile, a lost alias is removed. Refused for
    anyone but staff, without a reason, and for a conflict already decided (409)."""
    if not by.is_staff:
        raise NotPermitted("Only staff can decide name conflicts.")
    reason = _require_reason(reason)
    conflict = (
        NameConflict.objects.select_for_update(of=("self",))
        .select_related(
            "holder__owner_organization", "later__owner_organization", "later__owner_user"
        )
        .get(pk=conflict.pk)
    )
    if conflict.status != NameConflictStatus.OPEN:
        raise NameConflictDecided(
            f"This conflict was already decided ({conflict.get_status_display().lower()}).",
        )
    conflict.status = NameConflictStatus.ALLOWED if allow else NameConflictStatus.UPHELD
    conflict.decided_by = by
    conflict.decided_at = timezone.now()
    conflict.decision_reason = reason
    conflict.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
    )
    audit_name_conflict(conflict, action=f"name_conflict.{conflict.status}", by=by, reason=reason)
    later = conflict.later
    if conflict.on == NameConflictOn.ALIAS:
        _settle_alias(conflict=conflict, allow=allow)
    elif allow:
        character_standing_refresh(character=later)
    elif later.name == conflict.text:
        _archive(character=later)
    # else: renamed since the conflict opened; the name it lost is no longer its own.
    _notify_decided(conflict)
    return conflict


def _settle_alias(*, conflict: NameConflict, allow: bool) -> None:
    later = conflict.later
    aliases = _aliases_with_key(character=later, key=conflict.key)
    if allow:
        # Another open conflict on the same text keeps the alias held.
        still_open = NameConflict.objects.filter(
            later=later, key=conflict.key, status=NameConflictStatus.OPEN
        ).exists()
        if not still_open:
            CharacterAlias.objects.filter(pk__in=[a.pk for a in aliases]).update(
                held_by_conflict=False, updated_at=timezone.now()
            )
    else:
        CharacterAlias.objects.filter(pk__in=[a.pk for a in aliases]).delete()
    name_forms_refresh(character=later)
    registry_changed()
    catalog_documents_refresh(character_ids=[later.pk])


def _archive(*, character: Character) -> None:
    locked = Character.objects.select_for_update(of=("self",)).get(pk=character.pk)
    if locked.status != CharacterStatus.ARCHIVED:
        locked.status = CharacterStatus.ARCHIVED
        locked.save(update_fields=["status", "updated_at"])
    registry_changed()
    catalog_documents_refresh(character_ids=[locked.pk])


def _notify_decided(conflict: NameConflict) -> None:
    later = conflict.later
    holder = holder_label(character=conflict.holder)
    if conflict.status == NameConflictStatus.ALLOWED:
        title = f"You may keep “{conflict.text}”"
        outcome = f"Our staff decided both you and {holder} may use it."
    elif conflict.on == NameConflictOn.NAME:
        title = f"“{conflict.text}” belongs to {holder}"
        outcome = f"Our staff decided it is {holder}'s: {later.name} was archived."
    else:
        title = f"“{conflict.text}” belongs to {holder}"
        outcome = f"Our staff decided it is {holder}'s: the alias was removed from {later.name}."
    recipients = list(selectors.character_licensors(character=later))
    if conflict.reported_by is not None:
        recipients.append(conflict.reported_by)
    accounts_services.notify(
        users=recipients,
        kind=f"name_conflict.{conflict.status}",
        title=title,
        body=f"{outcome} Their reason: {conflict.decision_reason}",
        url=later.get_absolute_url(),
    )


@transaction.atomic
def name_conflict_report(
    *, character: Character, basis: Character, by: User, reason: str
) -> NameConflict:
    """The owner of a proven character (``basis``) reports that another owner's
    ``character`` uses its name. Staff decide it like any conflict; until they uphold
    it, the reported character keeps its standing (a report alone takes nothing from
    anyone). Refused, with nothing stored: a basis ``by`` does not manage, a draft
    basis, a reported character ``by`` manages or of the basis's owner, no reason, and
    a conflict between the two already open (409)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Say why this character uses your character's name.",
            code=ErrorCode.REQUIRED,
            field="reason",
        )
    if len(reason) > MAX_REASON:
        raise DomainError(f"The reason is longer than {MAX_REASON} characters.", field="reason")
    if not selectors.character_can_edit(character=basis, user=by):
        raise NotPermitted(f"You do not manage {basis.name}: report with your own character.")
    if basis.status == CharacterStatus.DRAFT:
        raise DomainError(
            f"{basis.name} is a draft: its names protect it only once its owner is verified.",
            code=LicensingError.CHARACTER_DRAFT,
            field="character_id",
        )
    if (
        basis.pk == character.pk
        or same_owner(basis, character)
        or selectors.character_can_edit(character=character, user=by)
    ):
        raise DomainError(
            f"{character.name} is yours: a name conflict is between two owners.",
            code=LicensingError.OWN_CHARACTER,
            field="character_id",
        )
    if NameConflict.objects.filter(
        holder=basis, later=character, status=NameConflictStatus.OPEN
    ).exists():
        raise NameConflictExists(
            f"A conflict between {basis.name} and {character.name} is already waiting for "
            "our staff."
        )
    try:
        with transaction.atomic():
            conflict = NameConflict.objects.create(
                holder=basis,
                later=character,
                on=NameConflictOn.NAME,
                text=character.name,
                key=name_key(text=character.name),
                holder_text=basis.name,
                reported_by=by,
                report_reason=reason,
            )
            audit_name_conflict(conflict, action="name_conflict.reported", by=by, reason=reason)
    except IntegrityError as exc:  # a report racing this one
        raise NameConflictExists(
            f"A conflict between {basis.name} and {character.name} is already waiting for "
            "our staff."
        ) from exc
    accounts_services.notify(
        users=selectors.character_licensors(character=character),
        kind="name_conflict.reported",
        title=f"{holder_label(character=basis)} says {character.name} uses their name",
        body=f"They hold “{basis.name}”. Our staff will look at both sides and decide; "
        "until then nothing changes for your character.",
        url=character.get_absolute_url(),
    )
    return conflict
