"""A character's standing: a draft until its owner is proven, active after.

Names protect only when someone has checked who registered them (issue 18). A
character is **active** (listed in the catalog, licensable, its names and aliases
screening every prompt) only when nothing holds it back; otherwise it is a **draft**
that only its owner sees and that screens no one's prompts. What holds it back, in
words its owner can read, comes from ``character_draft_reasons``:

- a studio character's organization is not verified by staff;
- a likeness has no consent video approved by staff (``likeness_verified_at``);
- its name waits on a name conflict opened when it was registered, or staff found the
  name belongs to another owner (services/name_conflicts.py).

Every change that may move a character between the two calls
``character_standing_refresh``; suspended and archived characters are left as they are
(an owner's or staff's decision, not a verification's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from licensing.enums import CharacterKind, CharacterStatus, NameConflictOn, NameConflictStatus
from licensing.models import Character
from licensing.policy.registry import registry_changed, registry_snapshot
from licensing.policy.screening import Registry
from licensing.selectors import name_conflicts_blocking_name
from licensing.services.catalog import catalog_documents_refresh
from licensing.services.embeddings import embeddings_enqueue
from licensing.services.name_conflict_detection import holder_label, name_conflicts_detect

if TYPE_CHECKING:
    from accounts.models import Organization, User

MOVABLE = frozenset({CharacterStatus.DRAFT, CharacterStatus.ACTIVE})


def character_draft_reasons(*, character: Character) -> list[str]:
    """Why the character cannot be active now, each a sentence for its owner; empty
    when it can."""
    reasons = []
    if character.kind == CharacterKind.CHARACTER:
        organization = character.owner_organization
        if organization is None or not organization.is_verified:
            reasons.append(
                f"{organization.name if organization else 'Its organization'} is not verified "
                "yet: staff check its documents first."
            )
    elif character.likeness_verified_at is None:
        reasons.append(
            "Staff have not approved your consent video for this likeness yet: record one "
            "reading the phrase we show, and we review it."
        )
    for conflict in name_conflicts_blocking_name(character=character):
        holder = holder_label(character=conflict.holder)
        if conflict.status == NameConflictStatus.OPEN:
            reasons.append(
                f"Its name “{conflict.text}” is also registered by {holder}; our staff are "
                "deciding who holds it."
            )
        else:
            reasons.append(
                f"Our staff found its name “{conflict.text}” belongs to {holder}: rename it."
            )
    return reasons


def character_standing(*, character: Character) -> str:
    """Draft or active: what the character's standing allows now, whatever its
    current status."""
    if character_draft_reasons(character=character):
        return CharacterStatus.DRAFT
    return CharacterStatus.ACTIVE


@transaction.atomic
def character_standing_refresh(
    *, character: Character, registry: Registry | None = None
) -> Character:
    """Move the character between draft and active as its standing says. A draft
    about to become active has its names checked first: one that another owner proved
    meanwhile opens a name conflict (and keeps it a draft, or holds the alias), since
    who was proven first holds the name. A move reaches prompt screening in every
    process (the registry version) and the lookalike index (its description embedded
    again, or dropped)."""
    locked = (
        Character.objects.select_for_update(of=("self",))
        .select_related("owner_organization")
        .get(pk=character.pk)
    )
    if locked.status not in MOVABLE:
        return locked
    status = character_standing(character=locked)
    if locked.status == CharacterStatus.DRAFT and status == CharacterStatus.ACTIVE:
        texts = [(locked.name, NameConflictOn.NAME)] + [
            (alias.text, NameConflictOn.ALIAS)
            for alias in locked.aliases.filter(held_by_conflict=False)
        ]
        name_conflicts_detect(character=locked, texts=texts, registry=registry, refuse_taken=False)
        status = character_standing(character=locked)
    if status != locked.status:
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        registry_changed()
        catalog_documents_refresh(character_ids=[locked.pk])
        if locked.description.strip():
            embeddings_enqueue(character_ids=[locked.pk])
    return locked


def characters_standing_refresh(
    *, organization: Organization | None = None, user: User | None = None
) -> int:
    """Refresh every character of an organization, or every likeness of a person.
    Returns how many changed status."""
    characters = Character.objects.filter(status__in=MOVABLE)
    if organization is not None:
        characters = characters.filter(owner_organization=organization)
    elif user is not None:
        characters = characters.filter(owner_user=user)
    else:
        raise ValueError("an organization or a user")
    changed = 0
    # One snapshot of everyone's names for the drafts that may become active.
    registry = (
        registry_snapshot() if characters.filter(status=CharacterStatus.DRAFT).exists() else None
    )
    for character in characters.order_by("pk"):
        before = character.status
        refreshed = character_standing_refresh(character=character, registry=registry)
        if refreshed.status != before:
            changed += 1
    return changed
