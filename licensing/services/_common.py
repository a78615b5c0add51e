"""Permission checks shared by the licensing services."""

from accounts import selectors as accounts_selectors
from accounts.enums import EDITOR_ROLES
from accounts.models import User
from core.errors import NotPermitted
from licensing.models import Character


def character_can_edit(*, character: Character, user: User) -> bool:
    """A likeness is edited only by its person; a character by its organization's
    owners and managers."""
    if not user.is_authenticated:
        return False
    if character.owner_user_id is not None:
        return character.owner_user_id == user.pk
    organization = character.owner_organization
    if organization is None:
        return False
    role = accounts_selectors.membership_role(organization=organization, user=user)
    return role in EDITOR_ROLES


def require_character_editor(*, character: Character, by: User) -> None:
    if not character_can_edit(character=character, user=by):
        raise NotPermitted(f"You cannot manage {character.name}.")
