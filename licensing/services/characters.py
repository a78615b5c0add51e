"""Writes for characters, their aliases and reference images."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from PIL import Image, ImageOps

from accounts import selectors as accounts_selectors
from accounts.enums import EDITOR_ROLES
from core import events
from core.audit import audit_record
from core.errors import DomainError, ErrorCode, NotPermitted
from core.uploads import reencode_image, validate_image
from licensing.enums import (
    AliasMode,
    CharacterKind,
    CharacterStatus,
    LookalikeAction,
    NameConflictOn,
)
from licensing.events import CharacterRenamed
from licensing.models import Character, CharacterAlias, CharacterImage
from licensing.policy.registry import registry_changed
from licensing.services._common import character_stream, require_character_editor
from licensing.services.catalog import catalog_documents_refresh
from licensing.services.consent import likeness_review_reopen
from licensing.services.embeddings import embeddings_enqueue
from licensing.services.name_conflict_detection import name_conflicts_detect
from licensing.services.name_forms import name_forms_refresh
from licensing.services.standing import (
    character_draft_reasons,
    character_standing,
    character_standing_refresh,
)

if TYPE_CHECKING:
    from accounts.models import Organization, User


THUMBNAIL_SIZE = (320, 320)
EDITABLE_FIELDS = frozenset(
    {"name", "description", "franchise", "disallowed", "status", "lookalike_action"}
)


def _clean_aliases(aliases: Iterable[str | tuple[str, str]]) -> list[tuple[str, str]]:
    cleaned: dict[str, str] = {}
    for alias in aliases:
        text, mode = (alias, AliasMode.NORMAL) if isinstance(alias, str) else alias
        text = text.strip()
        if not text:
            continue
        if mode not in AliasMode.values:
            raise DomainError(f"Unknown alias mode {mode!r}.", field="aliases")
        if len(text) > 120:
            raise DomainError(
                f"Alias {text[:20]!r}… is longer than 120 characters.", field="aliases"
            )
        cleaned[text] = mode
    return list(cleaned.items())


@transaction.atomic
def character_create(
    *,
    by: User,
    name: str,
    kind: str = CharacterKind.CHARACTER,
    owner_organization: Organization | None = None,
    aliases: Iterable[str | tuple[str, str]] = (),
    description: str = "",
    franchise: str = "",
    disallowed: bool = False,
    likeness_attested: bool = False,
    lookalike_action: str = LookalikeAction.REVIEW,
) -> Character:
    """Register a character for an organization ``by`` manages, or ``by``'s own
    likeness. A likeness needs a verified email and the person's attestation that it is
    them; it can never belong to an organization. Its description is embedded for
    lookalike screening once the registration commits."""
    name = name.strip()
    if not name:
        raise DomainError("A character needs a name.", code=ErrorCode.REQUIRED, field="name")
    _check_lookalike_action(lookalike_action)
    if kind == CharacterKind.LIKENESS:
        if owner_organization is not None:
            raise DomainError(
                "A likeness belongs to the person it shows, not an organization.",
                field="owner_organization",
            )
        if not EmailAddress.objects.filter(user=by, verified=True).exists():
            raise DomainError("Verify your email address before registering your likeness.")
        if not likeness_attested:
            raise DomainError(
                "Confirm that this likeness is your own.",
                code=ErrorCode.REQUIRED,
                field="likeness_attested",
            )
        owner = {"owner_user": by, "likeness_attested_at": timezone.now()}
    elif kind == CharacterKind.CHARACTER:
        if owner_organization is None:
            raise DomainError(
                "Choose the organization that owns this character.", field="owner_organization"
            )
        role = accounts_selectors.membership_role(organization=owner_organization, user=by)
        if role not in EDITOR_ROLES:
            raise NotPermitted(f"You cannot add characters to {owner_organization.name}.")
        owner = {"owner_organization": owner_organization}
    else:
        raise DomainError(f"Unknown kind {kind!r}.", field="kind")
    character = Character(
        kind=kind,
        name=name,
        description=description,
        franchise=franchise.strip(),
        disallowed=disallowed,
        lookalike_action=lookalike_action,
        status=CharacterStatus.DRAFT,
        **owner,
    )
    # A draft until its owner is proven (services/standing.py).
    character.status = character_standing(character=character)
    try:
        with transaction.atomic():
            character.save(force_insert=True)
    except IntegrityError as exc:
        raise DomainError(
            f"There is already a character called {name!r} with this owner.",
            code=ErrorCode.DUPLICATE,
            field="name",
        ) from exc
    created = CharacterAlias.objects.bulk_create(
        CharacterAlias(character=character, text=text, mode=mode)
        for text, mode in _clean_aliases(aliases)
        if text != name
    )
    name_forms_refresh(character=character)
    registry_changed()
    # A name or alias a proven owner already holds waits for staff (name_conflicts.py).
    _detect_conflicts(
        character=character,
        texts=[(name, NameConflictOn.NAME)] + [(a.text, NameConflictOn.ALIAS) for a in created],
    )
    if description.strip():
        embeddings_enqueue(character_ids=[character.pk])
    return character


def _detect_conflicts(*, character: Character, texts: Sequence[tuple[str, str]]) -> None:
    opened = name_conflicts_detect(character=character, texts=texts)
    if any(conflict.on == NameConflictOn.NAME for conflict in opened):
        character.status = character_standing_refresh(character=character).status


def _check_lookalike_action(action: str) -> None:
    if action not in LookalikeAction.values:
        raise DomainError(
            f"What a lookalike gets must be one of {', '.join(LookalikeAction.values)}.",
            field="lookalike_action",
        )


@transaction.atomic
def character_update(*, character: Character, by: User, **changes) -> Character:
    """Change the editable fields. A change to the name or the disallowed flag reaches
    prompt screening in every process through the registry version; a new description
    is embedded for lookalike screening once the change commits."""
    require_character_editor(character=character, by=by)
    if changes.get("status") == character.status:
        # The edit form sends the status as it was: only a change is a request.
        changes.pop("status")
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        if not changes["name"]:
            raise DomainError("A character needs a name.", code=ErrorCode.REQUIRED, field="name")
    if "status" in changes and changes["status"] not in CharacterStatus.values:
        raise DomainError(f"Unknown status {changes['status']!r}.", field="status")
    if changes.get("status") == CharacterStatus.DRAFT:
        raise DomainError(
            "A character is a draft only while its owner is not verified; archive it to "
            "take it out of the catalog.",
            code=ErrorCode.INVALID_STATE,
            field="status",
        )
    if changes.get("status") == CharacterStatus.ACTIVE:
        waiting = character_draft_reasons(character=character)
        if waiting:
            raise DomainError(" ".join(waiting), code=ErrorCode.INVALID_STATE, field="status")
    if "lookalike_action" in changes:
        _check_lookalike_action(changes["lookalike_action"])
    character = Character.objects.select_for_update().get(pk=character.pk)
    described = "description" in changes and changes["description"] != character.description
    renamed = "name" in changes and changes["name"] != character.name
    was_disallowed = character.disallowed
    for field, value in changes.items():
        setattr(character, field, value)
    try:
        with transaction.atomic():
            character.save(update_fields=[*changes, "updated_at"])
    except IntegrityError as exc:
        raise DomainError(
            "Another character of this owner already has that name.",
            code=ErrorCode.DUPLICATE,
            field="name",
        ) from exc
    if character.disallowed != was_disallowed:
        audit_record(
            action="character.disallowed" if character.disallowed else "character.allowed",
            actor=by,
            subject=character,
            scope=character_stream(character),
        )
    if "name" in changes:
        name_forms_refresh(character=character)
    if renamed:
        events.publish(CharacterRenamed(character_id=character.pk))
        _detect_conflicts(character=character, texts=[(character.name, NameConflictOn.NAME)])
        # A draft held back by a conflict on its old name may be free under the new one.
        character.status = character_standing_refresh(character=character).status
    if {"name", "disallowed", "status"} & set(changes):
        registry_changed()
    if described:
        embeddings_enqueue(character_ids=[character.pk])
    catalog_documents_refresh(character_ids=[character.pk])
    return character


@transaction.atomic
def character_aliases_set(
    *, character: Character, by: User, aliases: Iterable[str | tuple[str, str]]
) -> list[CharacterAlias]:
    """Replace the character's aliases (any script), each with its match mode. A new
    alias that another proven owner holds is held for staff (name_conflicts.py); one
    kept from before keeps its standing."""
    require_character_editor(character=character, by=by)
    cleaned = [(t, m) for t, m in _clean_aliases(aliases) if t != character.name]
    held_before = dict(character.aliases.values_list("text", "held_by_conflict"))
    character.aliases.all().delete()
    created = CharacterAlias.objects.bulk_create(
        CharacterAlias(
            character=character, text=text, mode=mode, held_by_conflict=held_before.get(text, False)
        )
        for text, mode in cleaned
    )
    name_forms_refresh(character=character)
    registry_changed()
    _detect_conflicts(
        character=character,
        texts=[(a.text, NameConflictOn.ALIAS) for a in created if a.text not in held_before],
    )
    catalog_documents_refresh(character_ids=[character.pk])
    return list(character.aliases.all())


def _thumbnail(upload: File) -> ContentFile:
    upload.seek(0)
    with Image.open(upload) as image:
        rgb = ImageOps.exif_transpose(image).convert("RGB")
        rgb.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        rgb.save(buffer, "JPEG", quality=85, optimize=True)
    upload.seek(0)
    return ContentFile(buffer.getvalue(), name="thumb.jpg")


@transaction.atomic
def character_image_add(*, character: Character, by: User, file: UploadedFile) -> CharacterImage:
    """Store a validated reference image (PNG, JPEG or WebP; at most 10 MB and 4096 px
    a side; decompression bombs refused) with a JPEG thumbnail. A proven likeness goes
    back to review: staff approved its consent video against the images it had."""
    require_character_editor(character=character, by=by)
    try:
        checked = validate_image(
            file,
            max_bytes=settings.CHARACTER_IMAGE_MAX_BYTES,
            max_side=settings.CHARACTER_IMAGE_MAX_SIDE,
        )
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code=exc.code or "invalid", field="image") from exc
    # The pixels alone, re-encoded: whatever else the file carried is not stored.
    clean = reencode_image(file, checked)
    last = character.images.aggregate(last=Max("position"))["last"]
    position = 0 if last is None else last + 1
    image = CharacterImage(
        character=character,
        content_type=checked.content_type,
        size_bytes=clean.size,
        position=position,
    )
    image.thumbnail.save("thumb.jpg", _thumbnail(clean), save=False)
    image.image.save(clean.name or "image", clean, save=False)
    image.save()
    likeness_review_reopen(character=character)
    catalog_documents_refresh(character_ids=[character.pk])
    return image


@transaction.atomic
def character_image_delete(*, image: CharacterImage, by: User) -> None:
    """Remove a reference image; a proven likeness goes back to review."""
    require_character_editor(character=image.character, by=by)
    image.image.delete(save=False)
    image.thumbnail.delete(save=False)
    image.delete()
    likeness_review_reopen(character=image.character)
    catalog_documents_refresh(character_ids=[image.character_id])


@transaction.atomic
def characters_mark_disallowed(*, character_ids: Iterable, by: User) -> int:
    """Staff take characters out of use: no generation at all, and their names keep
    screening prompts. Reaches every process's screening through the registry version."""
    if not by.is_staff:
        raise NotPermitted("Only staff can disallow characters in bulk.")
    characters = list(
        Character.objects.select_for_update()
        .filter(pk__in=list(character_ids), disallowed=False)
        .order_by("pk")
    )
    ids = [c.pk for c in characters]
    count = Character.objects.filter(pk__in=ids).update(disallowed=True, updated_at=timezone.now())
    for character in characters:
        audit_record(
            action="character.disallowed",
            actor=by,
            subject=character,
            scope=character_stream(character),
            reason="disallowed by staff",
        )
    registry_changed()
    catalog_documents_refresh(character_ids=ids)
    return count
