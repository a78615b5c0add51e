"""Who may see a character's reference images and their thumbnails (under
``characters/<character id>/``), for core/media.py's signed URLs and media view.

They are the character page's: while the character is active, its page (and the
catalog) shows them to everyone; a suspended or archived character's images are seen
only by the people who manage it (its organization's owners and managers, or the
person whose likeness it is) and by staff.

A likeness's consent videos (under ``consent-videos/<character id>/``) are never public:
only the person who recorded them and staff, who review them, see them."""

from __future__ import annotations

import uuid

from django.db.models import Q

from core.media import MediaKind, Viewer, staff_viewer
from licensing import selectors
from licensing.enums import CharacterStatus
from licensing.models import CharacterImage, LikenessConsent
from licensing.training import tdm_headers

FOLDER = "characters"
CONSENT_FOLDER = "consent-videos"


def character_image_public(image: CharacterImage) -> bool:
    return image.character.status == CharacterStatus.ACTIVE


def _character_id(name: str) -> uuid.UUID | None:
    parts = name.split("/")
    if len(parts) < 3:
        return None
    try:
        return uuid.UUID(parts[1])
    except ValueError:
        return None


def character_image_visible_to(*, name: str, user: Viewer) -> bool:
    """Whether ``name`` is a stored image or thumbnail of a character ``user`` may see."""
    character_id = _character_id(name)
    if character_id is None:
        return False
    image = (
        CharacterImage.objects.filter(character_id=character_id)
        .filter(Q(image=name) | Q(thumbnail=name))
        .select_related("character")
        .first()
    )
    if image is None:
        return False
    if character_image_public(image) or staff_viewer(user):
        return True
    return selectors.character_can_edit(character=image.character, user=user)


def character_image_headers(*, name: str, base_url: str) -> dict[str, str]:
    """The TDMRep reservation of a character's images, unless its terms allow training."""
    character_id = _character_id(name)
    if character_id is None:
        return {}
    reserved, offer = selectors.character_training_reservation(character_id=character_id)
    if not reserved:
        return {}
    return tdm_headers(offer_id=offer.pk if offer else None, base_url=base_url)


KIND = MediaKind(
    folder=FOLDER,
    model=CharacterImage,
    is_public=character_image_public,
    visible_to=character_image_visible_to,
    headers=character_image_headers,
)


def consent_video_public(consent: LikenessConsent) -> bool:
    return False


def consent_video_visible_to(*, name: str, user: Viewer) -> bool:
    """Whether ``name`` is a stored consent video that ``user`` recorded, or ``user`` is
    staff."""
    if not user.is_authenticated:
        return False
    character_id = _character_id(name)
    if character_id is None:
        return False
    consent = (
        LikenessConsent.objects.filter(character_id=character_id, video=name)
        .select_related("challenge")
        .first()
    )
    if consent is None:
        return False
    return staff_viewer(user) or consent.challenge.user_id == user.pk


CONSENT_KIND = MediaKind(
    folder=CONSENT_FOLDER,
    model=LikenessConsent,
    is_public=consent_video_public,
    visible_to=consent_video_visible_to,
)
