"""A person proves a likeness is theirs: a consent video, reviewed by staff.

The person asks for a challenge (``consent_challenge_issue``): a phrase of random words
that they read aloud on camera. The phrase is good for one attempt, by that person, for
that likeness, for ``LIKENESS_CHALLENGE_SECONDS``: a video recorded earlier, or for
someone else, cannot be sent again. The video (``consent_video_submit``) is validated
like every upload and stored re-muxed and private (licensing/media.py: the person and
staff). Staff compare it with the reference images and the phrase, and approve it
(``consent_approve``: the likeness becomes active, services/standing.py) or reject it
with a reason (``consent_reject``). New or removed reference images send an approved
likeness back to review (``likeness_review_reopen``).
"""

from __future__ import annotations

import functools
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from core.audit import audit_record
from core.errors import DomainError, ErrorCode, NotPermitted
from core.uploads import validate_video
from licensing.enums import CharacterKind, ConsentStatus, LicensingError
from licensing.models import Character, ConsentChallenge, LikenessConsent
from licensing.services._common import character_stream
from licensing.services.standing import character_standing_refresh

if TYPE_CHECKING:
    from accounts.models import User

PHRASE_WORDS = 6
_WORDS_FILE = Path(__file__).resolve().parents[1] / "data" / "consent_words.txt"
IMAGES_CHANGED = "Reference images changed: staff check the video against the new ones."

# Which review states a consent may move to (consent_transition).
TRANSITIONS: dict[str, frozenset[str]] = {
    ConsentStatus.PENDING: frozenset(
        {ConsentStatus.APPROVED, ConsentStatus.REJECTED, ConsentStatus.SUPERSEDED}
    ),
    # Back to review when the reference images it was compared with change.
    ConsentStatus.APPROVED: frozenset({ConsentStatus.PENDING}),
    ConsentStatus.REJECTED: frozenset(),
    ConsentStatus.SUPERSEDED: frozenset(),
}


@functools.cache
def _words() -> tuple[str, ...]:
    lines = _WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def consent_phrase() -> str:
    """Six words drawn with ``secrets`` from a list of common, easily spoken ones."""
    words = _words()
    return " ".join(secrets.choice(words) for _ in range(PHRASE_WORDS))


def _require_person(*, character: Character, by: User) -> None:
    if character.kind != CharacterKind.LIKENESS:
        raise DomainError(
            "Only a likeness needs a consent video; a studio's character is proven by its "
            "organization's documents.",
            code=ErrorCode.INVALID_STATE,
        )
    if not by.is_authenticated or character.owner_user_id != by.pk:
        raise NotPermitted("Only the person this likeness shows can record its consent video.")


def consent_challenge_issue(*, character: Character, by: User) -> ConsentChallenge:
    """A fresh phrase for ``by`` to read in a consent video for their own likeness,
    valid for one attempt until it expires. A verified likeness needs none (until its
    reference images change)."""
    _require_person(character=character, by=by)
    if character.likeness_verified_at is not None:
        raise DomainError(
            "This likeness is already verified: staff approved your consent video.",
            code=ErrorCode.INVALID_STATE,
        )
    now = timezone.now()
    return ConsentChallenge.objects.create(
        character=character,
        user=by,
        phrase=consent_phrase(),
        expires_at=now + timedelta(seconds=settings.LIKENESS_CHALLENGE_SECONDS),
    )


def _challenge_spend(*, challenge_id, character: Character, by: User) -> ConsentChallenge:
    """Mark the challenge used, committed at once so that a refused attempt spends it
    too; refuse one that is not ``by``'s, is for another likeness, used or expired."""
    not_yours = DomainError(
        "This phrase was not given to you: ask for a new one and record again.",
        code=LicensingError.CHALLENGE_INVALID,
        field="challenge_id",
    )
    try:
        challenge = ConsentChallenge.objects.filter(pk=challenge_id).first()
    except ValidationError:  # not a UUID
        raise not_yours from None
    if challenge is None or challenge.user_id != by.pk:
        raise not_yours
    with transaction.atomic():
        challenge = ConsentChallenge.objects.select_for_update().get(pk=challenge.pk)
        used = challenge.used_at is not None
        now = timezone.now()
        if not used:
            challenge.used_at = now
            challenge.save(update_fields=["used_at"])
    if used:
        raise DomainError(
            "This phrase was used for an earlier attempt: each phrase is good for one "
            "video. Ask for a new one and record again.",
            code=LicensingError.CHALLENGE_USED,
            field="challenge_id",
        )
    if challenge.character_id != character.pk:
        raise DomainError(
            "This phrase was given for another likeness: ask for a new one here and record again.",
            code=LicensingError.CHALLENGE_INVALID,
            field="challenge_id",
        )
    if now > challenge.expires_at:
        raise DomainError(
            "This phrase expired: a phrase is good for "
            f"{settings.LIKENESS_CHALLENGE_SECONDS // 60} minutes. Ask for a new one and "
            "record again.",
            code=LicensingError.CHALLENGE_EXPIRED,
            field="challenge_id",
        )
    return challenge


def consent_video_submit(
    *, challenge_id, character: Character, by: User, file: UploadedFile
) -> LikenessConsent:
    """Store ``by``'s consent video for their likeness, read against the challenge
    ``challenge_id``, for staff to review; older videos waiting for review are
    superseded. The challenge is spent by any attempt of its owner, refused or not.
    A refused video (not a video, too long, too short, too large) stores nothing.
    Call it outside a transaction: the challenge is spent in one of its own, so that a
    refusal cannot roll it back."""
    _require_person(character=character, by=by)
    challenge = _challenge_spend(challenge_id=challenge_id, character=character, by=by)
    try:
        checked = validate_video(
            file,
            max_bytes=settings.LIKENESS_CONSENT_MAX_BYTES,
            max_seconds=settings.LIKENESS_CONSENT_MAX_SECONDS,
            min_seconds=settings.LIKENESS_CONSENT_MIN_SECONDS,
            require_audio=True,
        )
    except ValidationError as exc:
        raise DomainError(
            exc.messages[0] + " Ask for a new phrase and record again.",
            code=exc.code or ErrorCode.INVALID,
            field="video",
        ) from exc
    consent = LikenessConsent(
        character=character,
        challenge=challenge,
        content_type=checked.content_type,
        size_bytes=checked.size_bytes,
        duration_s=checked.duration_s,
        width=checked.width,
        height=checked.height,
    )
    consent.video.save(checked.content.name or "video", checked.content, save=False)
    try:
        with transaction.atomic():
            LikenessConsent.objects.filter(
                character=character, status=ConsentStatus.PENDING
            ).update(status=ConsentStatus.SUPERSEDED, updated_at=timezone.now())
            consent.save(force_insert=True)
    except BaseException:
        consent.video.delete(save=False)
        raise
    return consent


def _locked(consent: LikenessConsent) -> LikenessConsent:
    return (
        LikenessConsent.objects.select_for_update(of=("self",))
        .select_related("character", "character__owner_user")
        .get(pk=consent.pk)
    )


def _require_reviewer(*, consent: LikenessConsent, by: User) -> None:
    if not (by.is_authenticated and by.is_active and by.is_staff):
        raise NotPermitted("Only staff review consent videos.")
    if consent.character.owner_user_id == by.pk:
        raise NotPermitted("Another member of staff must review your own consent video.")


def consent_transition(
    *, consent: LikenessConsent, to: str, by: User | None, reason: str = ""
) -> LikenessConsent:
    """Move a locked consent along TRANSITIONS, refusing any other move."""
    if to not in TRANSITIONS[consent.status]:
        raise DomainError(
            f"This video is {consent.get_status_display().lower()}: it cannot be "
            f"{ConsentStatus(to).label.lower()} now.",
            code=ErrorCode.INVALID_TRANSITION,
        )
    consent.status = to
    consent.reviewed_by = by
    consent.reviewed_at = timezone.now() if by is not None else None
    consent.reason = reason[:500]
    consent.save(update_fields=["status", "reviewed_by", "reviewed_at", "reason", "updated_at"])
    audit_record(
        action=f"likeness_verification.{to}",
        actor=by,
        subject=consent,
        scope=character_stream(consent.character),
        data={"character": consent.character_id},
        reason=reason,
    )
    return consent


def _manage_url(character: Character) -> str:
    return reverse("licensing:character_manage", kwargs={"pk": character.pk}) + "#consent"


@transaction.atomic
def consent_approve(*, consent: LikenessConsent, by: User, reason: str = "") -> LikenessConsent:
    """Staff approve the video: the likeness is proven (``likeness_verified_at``) and
    becomes active, its names screening prompts, and its person is told."""
    consent = _locked(consent)
    _require_reviewer(consent=consent, by=by)
    consent_transition(consent=consent, to=ConsentStatus.APPROVED, by=by, reason=reason.strip())
    LikenessConsent.objects.filter(
        character=consent.character, status=ConsentStatus.PENDING
    ).update(status=ConsentStatus.SUPERSEDED, updated_at=timezone.now())
    character = Character.objects.select_for_update().get(pk=consent.character_id)
    character.likeness_verified_at = timezone.now()
    character.save(update_fields=["likeness_verified_at", "updated_at"])
    character = character_standing_refresh(character=character)
    accounts_services.notify(
        users=[character.owner_user],
        kind="likeness.approved",
        title=f"Your likeness {character.name} is verified",
        body="Staff approved your consent video. You can publish offers for it now, and its "
        "names protect you in every prompt.",
        url=_manage_url(character),
    )
    consent.character = character
    return consent


@transaction.atomic
def consent_reject(*, consent: LikenessConsent, by: User, reason: str) -> LikenessConsent:
    """Staff reject the video, saying why: the likeness stays a draft, and its person is
    told the reason and asked to record again."""
    reason = reason.strip()
    if not reason:
        raise DomainError(
            "Say why the video is rejected: the person reads it before recording again.",
            code=ErrorCode.REQUIRED,
            field="reason",
        )
    consent = _locked(consent)
    _require_reviewer(consent=consent, by=by)
    consent_transition(consent=consent, to=ConsentStatus.REJECTED, by=by, reason=reason)
    character = consent.character
    accounts_services.notify(
        users=[character.owner_user],
        kind="likeness.rejected",
        title=f"Your consent video for {character.name} was not approved",
        body=f"{reason}\n\nRecord a new video reading a new phrase.",
        url=_manage_url(character),
    )
    return consent


@transaction.atomic
def likeness_review_reopen(*, character: Character, reason: str = IMAGES_CHANGED) -> Character:
    """A proven likeness goes back to review (its reference images changed): it is a
    draft again until staff approve its consent video anew, which waits in their queue."""
    character = Character.objects.select_for_update().get(pk=character.pk)
    if character.kind != CharacterKind.LIKENESS or character.likeness_verified_at is None:
        return character
    approved = (
        LikenessConsent.objects.select_for_update()
        .filter(character=character, status=ConsentStatus.APPROVED)
        .order_by("-reviewed_at", "-created_at")
        .first()
    )
    if approved is not None:
        consent_transition(consent=approved, to=ConsentStatus.PENDING, by=None, reason=reason)
    character.likeness_verified_at = None
    character.save(update_fields=["likeness_verified_at", "updated_at"])
    return character_standing_refresh(character=character)
