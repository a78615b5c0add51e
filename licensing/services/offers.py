"""Writes for licence offers: drafts, publishing immutable versions, new drafts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import audit_record
from core.errors import DomainError, ErrorCode
from licensing.enums import CharacterKind, CharacterStatus, LicensingError, OfferStatus
from licensing.models import Character, Offer
from licensing.services._common import character_stream, require_character_editor
from licensing.services.catalog import catalog_documents_refresh
from licensing.services.standing import character_draft_reasons
from licensing.terms import PRESETS_BY_KEY, Terms, validate_terms

if TYPE_CHECKING:
    from accounts.models import User


class TermsInvalid(DomainError):
    """Terms that contradict themselves; ``errors`` maps each field to its messages."""

    code = LicensingError.INVALID_TERMS

    def __init__(self, errors: dict[str, list[str]]):
        field, messages = next(iter(errors.items()))
        super().__init__(messages[0], field=field)
        self.errors = errors


def _checked_terms(data: dict[str, Any]) -> Terms:
    errors = validate_terms(data)
    if errors:
        raise TermsInvalid(errors)
    return Terms.from_dict(data)


def _denormalised(terms: Terms) -> dict[str, Any]:
    return {
        "commercial_use": terms.commercial_use,
        "upfront_fee": terms.upfront_fee,
        "currency": terms.currency,
        "terms": terms.to_dict(),
    }


@transaction.atomic
def offer_create_draft(
    *, character: Character, by: User, terms: dict[str, Any], title: str = "", preset: str = ""
) -> Offer:
    """Start a new offer for the character as an editable draft."""
    require_character_editor(character=character, by=by)
    if preset and preset not in PRESETS_BY_KEY:
        raise DomainError(f"Unknown preset {preset!r}.", field="preset")
    checked = _checked_terms(terms)
    label = title.strip() or (PRESETS_BY_KEY[preset].label if preset else "Licence")
    return Offer.objects.create(
        character=character,
        title=label[:120],
        preset=preset,
        created_by=by,
        **_denormalised(checked),
    )


def _locked(offer: Offer) -> Offer:
    return Offer.objects.select_for_update().select_related("character").get(pk=offer.pk)


@transaction.atomic
def offer_update_draft(
    *, offer: Offer, by: User, terms: dict[str, Any], title: str | None = None
) -> Offer:
    """Replace a draft's terms. A published version cannot be edited: call
    ``offer_new_version`` for a new draft instead."""
    offer = _locked(offer)
    require_character_editor(character=offer.character, by=by)
    if offer.status != OfferStatus.DRAFT:
        raise DomainError(
            f"Version {offer.version} is {offer.status}; its terms are frozen. "
            "Edit creates a new draft version.",
            code=LicensingError.IMMUTABLE,
        )
    checked = _checked_terms(terms)
    for field, value in _denormalised(checked).items():
        setattr(offer, field, value)
    fields = ["terms", "commercial_use", "upfront_fee", "currency", "updated_at"]
    if title is not None and title.strip():
        offer.title = title.strip()[:120]
        fields.append("title")
    offer.save(update_fields=fields)
    return offer


@transaction.atomic
def offer_publish(*, offer: Offer, by: User) -> Offer:
    """Freeze the draft as the series' current version, keyed by the hash of its
    canonical terms. The previous published version is superseded; grants already
    made stay on the version they accepted."""
    offer = _locked(offer)
    character = offer.character
    require_character_editor(character=character, by=by)
    refusal = offer_publish_refusal(offer=offer)
    if refusal is not None:
        raise refusal
    terms = _checked_terms(offer.terms)
    Offer.objects.filter(series=offer.series, status=OfferStatus.PUBLISHED).update(
        status=OfferStatus.SUPERSEDED, updated_at=timezone.now()
    )
    offer.terms = terms.to_dict()
    offer.terms_hash = terms.content_hash()
    offer.status = OfferStatus.PUBLISHED
    offer.published_at = timezone.now()
    offer.save(update_fields=["terms", "terms_hash", "status", "published_at", "updated_at"])
    audit_record(
        action="offer.published",
        actor=by,
        subject=offer,
        scope=character_stream(character),
        data={"series": offer.series, "version": offer.version, "terms_hash": offer.terms_hash},
    )
    catalog_documents_refresh(character_ids=[offer.character_id])
    return offer


def offer_publish_refusal(*, offer: Offer) -> DomainError | None:
    """Why the draft cannot be published now (its terms aside), or None: the publish
    page says so before the button is pressed."""
    character = offer.character
    if offer.status != OfferStatus.DRAFT:
        return DomainError(
            f"Version {offer.version} is already {offer.status}.", code=ErrorCode.INVALID_STATE
        )
    organization = character.owner_organization
    if character.kind == CharacterKind.CHARACTER and organization and not organization.is_verified:
        return DomainError(
            f"{organization.name} must be verified by our staff before it can publish offers.",
            code=LicensingError.ORGANIZATION_UNVERIFIED,
        )
    if character.disallowed:
        return DomainError(
            f"{character.name} is marked disallowed: it cannot be licensed.",
            code=LicensingError.DISALLOWED,
        )
    if character.status == CharacterStatus.DRAFT:
        waiting = " ".join(character_draft_reasons(character=character))
        return DomainError(
            f"{character.name} is a draft, so it cannot be licensed yet. {waiting}".strip(),
            code=LicensingError.CHARACTER_DRAFT,
        )
    return None


@transaction.atomic
def offer_new_version(*, offer: Offer, by: User) -> Offer:
    """Editing a published offer: a new draft version with the same terms, or the
    series' existing draft if there is one."""
    offer = _locked(offer)
    require_character_editor(character=offer.character, by=by)
    draft = Offer.objects.filter(series=offer.series, status=OfferStatus.DRAFT).first()
    if draft is not None:
        return draft
    if offer.status == OfferStatus.ENDED:
        raise DomainError(
            "This offer has ended; start a new offer instead.", code=ErrorCode.INVALID_STATE
        )
    latest = Offer.objects.filter(series=offer.series).aggregate(v=Max("version"))["v"] or 0
    return Offer.objects.create(
        character=offer.character,
        series=offer.series,
        version=latest + 1,
        title=offer.title,
        preset=offer.preset,
        created_by=by,
        terms=offer.terms,
        commercial_use=offer.commercial_use,
        upfront_fee=offer.upfront_fee,
        currency=offer.currency,
    )
