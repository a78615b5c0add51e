"""Bulk import of a catalogue (``manage.py import_characters``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from accounts import selectors as accounts_selectors
from licensing.enums import AliasMode, CharacterKind, LookalikeAction
from licensing.models import Character, CharacterAlias
from licensing.policy.registry import registry_changed
from licensing.services.catalog import catalog_documents_refresh
from licensing.services.embeddings import embeddings_enqueue
from licensing.services.name_forms import name_forms_refresh

if TYPE_CHECKING:
    pass


MAX_NAME = 120


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, message)


def _row_error(row: Any) -> str | None:
    if not isinstance(row, dict):
        return "each row must be an object"
    name = row.get("name")
    if not isinstance(name, str) or not name.strip():
        return "'name' is required"
    if len(name.strip()) > MAX_NAME:
        return f"'name' is longer than {MAX_NAME} characters"
    if row.get("kind", "character") not in CharacterKind.values:
        return f"'kind' must be one of {', '.join(CharacterKind.values)}"
    if not isinstance(row.get("owner"), str) or not row["owner"].strip():
        return "'owner' (an organization slug, or a person's email for a likeness) is required"
    aliases = row.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        return "'aliases' must be a list of strings"
    if any(len(a) > MAX_NAME for a in aliases):
        return f"an alias is longer than {MAX_NAME} characters"
    if not isinstance(row.get("disallowed", False), bool):
        return "'disallowed' must be true or false"
    if not isinstance(row.get("description", ""), str):
        return "'description' must be text"
    if row.get("lookalike_action", LookalikeAction.REVIEW) not in LookalikeAction.values:
        return f"'lookalike_action' must be one of {', '.join(LookalikeAction.values)}"
    return None


def characters_import(*, rows: list[Any]) -> ImportReport:
    """Create or update each row's character, idempotent on (owner, name). Each row
    commits on its own, so a bad row is reported and loses no valid row. An operator
    action: it runs with the platform's authority, not a member's. New and changed
    descriptions are embedded for lookalike screening by the workers."""
    report = ImportReport()
    described: list = []  # characters whose description is new or changed
    organizations = accounts_selectors.organizations_by_slug(
        slugs=[
            r.get("owner") for r in rows if isinstance(r, dict) and isinstance(r.get("owner"), str)
        ]
    )
    for number, row in enumerate(rows, start=1):
        problem = _row_error(row)
        if problem:
            report.errors.append((number, problem))
            continue
        kind = row.get("kind", CharacterKind.CHARACTER)
        owner: dict[str, Any]
        if kind == CharacterKind.CHARACTER:
            organization = organizations.get(row["owner"])
            if organization is None:
                report.errors.append((number, f"no organization with slug {row['owner']!r}"))
                continue
            owner = {"owner_organization": organization}
        else:
            person = accounts_selectors.user_by_email(email=row["owner"])
            if person is None:
                report.errors.append((number, f"no person with email {row['owner']!r}"))
                continue
            owner = {"owner_user": person}
        try:
            with transaction.atomic():
                outcome = _upsert(row, kind=kind, owner=owner, described=described)
        except IntegrityError as exc:
            report.errors.append((number, f"could not be saved: {exc}"))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    if report.created or report.updated:
        registry_changed()
    embeddings_enqueue(character_ids=described)
    return report


def _upsert(row: dict[str, Any], *, kind: str, owner: dict[str, Any], described: list) -> str:
    name = row["name"].strip()
    wanted = {
        "description": row.get("description", ""),
        "disallowed": row.get("disallowed", False),
    }
    if "lookalike_action" in row:  # otherwise a new character's default, an old one's own
        wanted["lookalike_action"] = row["lookalike_action"]
    character = Character.objects.select_for_update().filter(name=name, kind=kind, **owner).first()
    aliases = sorted({a.strip() for a in row.get("aliases", []) if a.strip() and a.strip() != name})
    if character is None:
        character = Character.objects.create(name=name, kind=kind, **owner, **wanted)
        CharacterAlias.objects.bulk_create(
            CharacterAlias(character=character, text=text, mode=AliasMode.NORMAL)
            for text in aliases
        )
        name_forms_refresh(character=character, announce=False)
        if character.description.strip():
            described.append(character.pk)
        return "created"
    changed = [f for f, v in wanted.items() if getattr(character, f) != v]
    if "description" in changed:
        described.append(character.pk)
    for f in changed:
        setattr(character, f, wanted[f])
    if changed:
        character.save(update_fields=[*changed, "updated_at"])
    existing = set(character.aliases.values_list("text", flat=True))
    missing = [a for a in aliases if a not in existing]
    CharacterAlias.objects.bulk_create(
        CharacterAlias(character=character, text=text, mode=AliasMode.NORMAL) for text in missing
    )
    if missing:
        name_forms_refresh(character=character, announce=False)
    if changed or missing:
        catalog_documents_refresh(character_ids=[character.pk])
    return "updated" if changed or missing else "unchanged"
