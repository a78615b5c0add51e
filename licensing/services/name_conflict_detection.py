"""Finding name conflicts as names are registered (services/name_conflicts.py has the
rest: staff decisions and reports). Kept apart so that a character's standing can check
its names as it is about to become active (services/standing.py) without a cycle."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from accounts import services as accounts_services
from core.audit import audit_record
from core.errors import DomainError
from licensing import selectors
from licensing.enums import CharacterStatus, LicensingError, NameConflictOn, NameConflictStatus
from licensing.models import Character, CharacterAlias, NameConflict
from licensing.policy.registry import registry_changed, registry_snapshot
from licensing.policy.screening import WATCHLIST_PREFIX, Registry, joined_skeleton
from licensing.services._common import character_stream
from licensing.services.name_forms import name_forms_refresh


def audit_name_conflict(conflict: NameConflict, *, action: str, by, reason: str = "") -> None:
    """Record a conflict opened, reported or decided, in both owners' streams."""
    audit_record(
        action=action,
        actor=by,
        subject=conflict,
        scope=[character_stream(conflict.holder), character_stream(conflict.later)],
        data={
            "holder": conflict.holder_id,
            "later": conflict.later_id,
            "on": conflict.on,
            "text": conflict.text,
            "status": conflict.status,
        },
        reason=reason,
    )


def holder_label(*, character: Character) -> str:
    """Who holds a name, as the other party may read it: an organization's name; a
    person is not named further (their account is theirs)."""
    if character.owner_organization is not None:
        return character.owner_organization.name
    return "a verified person"


def name_key(*, text: str) -> str:
    """The form screening matches ``text`` in: two names with the same key are found by
    the same prompts (licensing.policy.screening.joined_skeleton, as the registry keys
    its entries)."""
    return joined_skeleton(text)


def same_owner(a: Character, b: Character) -> bool:
    if a.owner_organization_id is not None:
        return a.owner_organization_id == b.owner_organization_id
    return a.owner_user_id is not None and a.owner_user_id == b.owner_user_id


def _holders(
    *, registry: Registry, character: Character, text: str, key: str
) -> list[tuple[Character, str]]:
    """The proven characters of other owners that hold a name or alias (or a form derived
    from one) whose key is ``key``, each with the name or alias it is registered as,
    earliest registration first. Asks a screening registry, so what counts as "the same
    name" is exactly what screening treats as one."""
    matched: dict[str, str] = {}
    for mention in registry.screen(text):
        if mention.character_id.startswith(WATCHLIST_PREFIX):
            continue
        if mention.character_id == str(character.pk):
            continue
        if name_key(text=mention.form or mention.alias) != key:
            continue
        matched.setdefault(mention.character_id, mention.alias)
    if not matched:
        return []
    # The registry is a snapshot: confirm each from the rows (not a draft now, and the
    # alias it matched not held itself).
    candidates = (
        Character.objects.filter(pk__in=list(matched))
        .exclude(status=CharacterStatus.DRAFT)
        .select_related("owner_organization", "owner_user")
        .order_by("created_at", "pk")
    )
    holders = []
    for candidate in candidates:
        if same_owner(candidate, character):
            continue
        holder_text = matched[str(candidate.pk)]
        if (
            holder_text != candidate.name
            and not candidate.aliases.filter(text=holder_text, held_by_conflict=False).exists()
        ):
            continue
        holders.append((candidate, holder_text))
    return holders


def _notify_opened(conflict: NameConflict) -> None:
    later = conflict.later
    if conflict.on == NameConflictOn.NAME:
        effect = (
            f"Until they decide, {later.name} stays a draft: only you see it, and its "
            "names screen no prompts."
        )
    else:
        effect = f"Until they decide, the alias “{conflict.text}” screens no prompts."
    accounts_services.notify(
        users=selectors.character_licensors(character=later),
        kind="name_conflict.opened",
        title=f"“{conflict.text}” is also registered by {holder_label(character=conflict.holder)}",
        body=f"Our staff are deciding who holds it. {effect}",
        url=later.get_absolute_url(),
    )


def name_conflicts_detect(
    *,
    character: Character,
    texts: Sequence[tuple[str, str]],
    registry: Registry | None = None,
    refuse_taken: bool = True,
) -> list[NameConflict]:
    """Open a conflict for each of ``texts`` ((text, NameConflictOn) pairs the character
    has just registered) that a proven character of another owner already holds, and
    tell the character's owners. A held alias is flagged ``held_by_conflict``; a
    conflict on the name makes the character a draft (the caller's standing refresh).
    Conflicts staff already allowed are not opened again; a name or alias staff found
    to belong to the holder is refused (``name_taken``). Returns the conflicts opened.
    A caller checking many characters passes one ``registry_snapshot()`` for all; one
    that registers nothing (a standing refresh) passes ``refuse_taken=False``."""
    opened: list[NameConflict] = []
    held: set[str] = set()
    for text, on in texts:
        key = name_key(text=text)
        if not key:
            continue
        registry = registry or registry_snapshot()
        for holder, holder_text in _holders(
            registry=registry, character=character, text=text, key=key
        ):
            earlier = NameConflict.objects.filter(holder=holder, later=character, key=key)
            if earlier.filter(status=NameConflictStatus.UPHELD).exists():
                if not refuse_taken:
                    # Not a registration (a standing refresh): hold it, refuse nothing.
                    if on == NameConflictOn.ALIAS:
                        held.add(text)
                    continue
                raise DomainError(
                    f"Our staff found that “{text}” belongs to "
                    f"{holder_label(character=holder)}: choose another.",
                    code=LicensingError.NAME_TAKEN,
                    field="name" if on == NameConflictOn.NAME else "aliases",
                )
            if earlier.filter(status=NameConflictStatus.ALLOWED).exists():
                continue
            if on == NameConflictOn.ALIAS:
                held.add(text)
            if earlier.filter(status=NameConflictStatus.OPEN).exists():
                continue
            conflict = NameConflict.objects.create(
                holder=holder,
                later=character,
                on=on,
                text=text,
                key=key,
                holder_text=holder_text,
            )
            audit_name_conflict(conflict, action="name_conflict.opened", by="system")
            _notify_opened(conflict)
            opened.append(conflict)
    if held:
        CharacterAlias.objects.filter(character=character, text__in=held).update(
            held_by_conflict=True, updated_at=timezone.now()
        )
        name_forms_refresh(character=character)
        registry_changed()
    return opened
