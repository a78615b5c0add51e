"""Permission checks and audit scopes shared by the licensing services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.audit import owner_stream
from core.errors import NotPermitted
from licensing.models import Character
from licensing.selectors import character_can_edit

if TYPE_CHECKING:
    from accounts.models import User


def require_character_editor(*, character: Character, by: User) -> None:
    if not character_can_edit(character=character, user=by):
        raise NotPermitted(f"You cannot manage {character.name}.")


def character_stream(character: Character) -> str:
    """The audit stream of a character's rightsholder: its organization, or the person
    whose likeness it is (core/audit.py)."""
    return owner_stream(
        organization_id=character.owner_organization_id, user_id=character.owner_user_id
    )
