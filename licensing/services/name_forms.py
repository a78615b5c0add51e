"""The derived forms of each character's names (``licensing.policy.forms``), kept in
step with the names and aliases, and switched on or off by the rightsholder."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from licensing.enums import AliasMode, CharacterKind
from licensing.models import Character, NameForm
from licensing.policy.forms import forms_for_names
from licensing.policy.registry import registry_changed
from licensing.services._common import require_character_editor

if TYPE_CHECKING:
    from accounts.models import User


def _wanted(character: Character) -> dict[str, tuple[str, str, str]]:
    names = [(character.name, str(AliasMode.NORMAL))]
    # A held alias (another proven owner holds it: name_conflicts.py) has no forms.
    names += [
        (alias.text, alias.mode) for alias in character.aliases.all() if not alias.held_by_conflict
    ]
    return forms_for_names(names, likeness=character.kind == CharacterKind.LIKENESS)


@transaction.atomic
def name_forms_refresh(*, character: Character, announce: bool = True) -> list[NameForm]:
    """Derive the forms of ``character``'s name and aliases again: add the new ones,
    drop those whose name or alias is gone, and keep what the rightsholder switched off
    switched off. Returns the character's forms. A bulk caller passes ``announce=False``
    and calls ``registry_changed()`` once at the end."""
    wanted = _wanted(character)
    existing = {form.text: form for form in character.name_forms.all()}
    stale = [form.pk for text, form in existing.items() if text not in wanted]
    NameForm.objects.filter(pk__in=stale).delete()
    changed = bool(stale)
    for text, (source, origin, mode) in wanted.items():
        form = existing.get(text)
        if form is None:
            NameForm.objects.create(
                character=character, text=text, source=source, origin=origin, mode=mode
            )
            changed = True
        elif (form.source, form.origin, form.mode) != (source, origin, mode):
            form.source, form.origin, form.mode = source, origin, mode
            form.save(update_fields=["source", "origin", "mode", "updated_at"])
            changed = True
    if changed and announce:
        registry_changed()
    return list(character.name_forms.order_by("source", "text"))


@transaction.atomic
def name_form_set_enabled(*, form: NameForm, by: User, enabled: bool) -> NameForm:
    """Switch a derived form on or off (a reading that is a common word, say). Prompts
    see the change in every process once it commits."""
    require_character_editor(character=form.character, by=by)
    form = NameForm.objects.select_for_update().get(pk=form.pk)
    if form.enabled != enabled:
        form.enabled = enabled
        form.save(update_fields=["enabled", "updated_at"])
        registry_changed()
    return form
