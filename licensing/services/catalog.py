"""The catalog's read model (``CatalogDocument``): one row per listed character with
what a catalog search matches, filters and orders by, and the API's representation of
the character, so a catalog page is one query and no model instances.

Every licensing service that changes a document's sources (the character, its aliases,
images, published offers, status, name forms) calls ``catalog_documents_refresh`` in
its own transaction: the document commits with the change or not at all, and a search
made after the service returned sees it. The refresh locks the characters' rows first
(``FOR NO KEY UPDATE``, which inserting an offer or an alias does not wait for), so two
transactions changing different sources of one character write its document one after
the other, the second reading what the first committed. ``catalog_documents_rebuild``
(``manage.py read_models_rebuild``) rewrites them all, for a bulk load or an edit made
outside the services (the admin, a shell)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet

from core.api import api_datetime
from core.bulk import pk_batches, rows_insert
from licensing.enums import CharacterStatus, FormOrigin, OfferStatus
from licensing.models import CatalogDocument, Character, CharacterImage, NameForm, Offer
from licensing.selectors import SEARCH_SEPARATOR
from licensing.summary import summarize

REBUILD_BATCH = 1_000


def _characters() -> QuerySet[Character]:
    """Characters with what a document reads, loaded as attributes (``published_offers``,
    ``ordered_images``, ``romaji_forms``): the functions below take these."""
    return (
        Character.objects.select_related("owner_organization", "owner_user")
        .prefetch_related(
            Prefetch(
                "offers",
                queryset=Offer.objects.filter(status=OfferStatus.PUBLISHED).order_by(
                    "upfront_fee", "id"
                ),
                to_attr="published_offers",
            ),
            Prefetch(
                "images",
                queryset=CharacterImage.objects.order_by("position", "created_at"),
                to_attr="ordered_images",
            ),
            Prefetch("aliases"),
            Prefetch(
                "name_forms",
                queryset=NameForm.objects.filter(origin=FormOrigin.ROMAJI).order_by("text"),
                to_attr="romaji_forms",
            ),
        )
        .order_by("id")
    )


def listed(character: Any) -> bool:
    """Whether the catalog shows the character (``catalog_characters``' rule)."""
    return (
        character.status == CharacterStatus.ACTIVE
        and not character.disallowed
        and bool(character.published_offers)
    )


def _owner(character: Any) -> dict:
    org = character.owner_organization
    if org is not None:
        return {"kind": "organization", "name": org.name, "slug": org.slug}
    return {"kind": "person", "name": str(character.owner_user), "slug": None}


# Stands for the rightsholder in a summary kept for other characters with the same terms
# (summaries use the name verbatim): unguessable, so no terms can hold it.
_HOLDER = f"<{uuid.uuid4().hex}>"


def _summary(offer: Offer, character: Any, summaries: dict | None) -> str:
    """The offer's plain-language summary. Given ``summaries`` (a rebuild's), one per
    terms and kind with the rightsholder filled in: summarizing long terms is most of a
    document's cost, and a catalog has far fewer distinct terms than characters."""
    holder = character.rightsholder_name
    if summaries is None:
        return summarize(offer.parsed_terms, kind=character.kind, rightsholder=holder)
    key = (offer.terms_hash, character.kind)
    text = summaries.get(key)
    if text is None:
        text = summaries[key] = summarize(
            offer.parsed_terms, kind=character.kind, rightsholder=_HOLDER
        )
    return text.replace(_HOLDER, holder)


def _offer(offer: Offer, character: Any, summaries: dict | None = None) -> dict:
    return {
        "id": str(offer.pk),
        "character": str(character.pk),
        "series": str(offer.series),
        "version": offer.version,
        "status": offer.status,
        "title": offer.title,
        "preset": offer.preset,
        "terms": offer.terms,
        "terms_hash": offer.terms_hash,
        "summary": _summary(offer, character, summaries),
        "published_at": api_datetime(offer.published_at),
        # A path: the API makes it absolute for the request.
        "odrl_url": f"/api/v1/offers/{offer.pk}/odrl/",
    }


def catalog_payload(character: Any, summaries: dict | None = None) -> dict:
    """The character as ``CharacterOutputSerializer`` writes it, except its images'
    files, which are stored names here (``licensing.api`` signs them per request) and
    the offers' ``odrl_url``, a path here."""
    return {
        "id": str(character.pk),
        "kind": character.kind,
        "name": character.name,
        "aliases": [{"text": a.text, "mode": a.mode} for a in character.aliases.all()],
        "description": character.description,
        "franchise": character.franchise,
        "status": character.status,
        "disallowed": character.disallowed,
        "lookalike_action": character.lookalike_action,
        "owner": _owner(character),
        "images": [
            {
                "id": str(image.pk),
                "image": image.image.name or "",
                "thumbnail": image.thumbnail.name or "",
                "width": image.width,
                "height": image.height,
            }
            for image in character.ordered_images
        ],
        "offers": [_offer(o, character, summaries) for o in character.published_offers],
        "created_at": api_datetime(character.created_at),
    }


def _document(character: Any, summaries: dict | None = None) -> CatalogDocument:
    offers = character.published_offers
    texts = [character.name, character.franchise, character.description]
    texts += [alias.text for alias in character.aliases.all()]
    if character.owner_organization_id:
        texts.append(character.owner_organization.name)
    romaji = [f.text for f in character.romaji_forms if f.source == character.name]
    images = character.ordered_images
    return CatalogDocument(
        character_id=character.pk,
        listed_at=character.created_at,
        kind=character.kind,
        franchise=character.franchise,
        search_text=SEARCH_SEPARATOR.join(texts),
        has_commercial=any(o.commercial_use for o in offers),
        has_noncommercial=any(not o.commercial_use for o in offers),
        has_free=any(o.upfront_fee == 0 for o in offers),
        has_paid=any(o.upfront_fee > 0 for o in offers),
        romaji=romaji[0] if romaji else "",
        thumbnail=images[0].thumbnail.name if images else "",
        payload=catalog_payload(character, summaries),
    )


def _write(characters: Iterable[Any], ids: list, summaries: dict | None = None) -> int:
    documents = [_document(c, summaries) for c in characters if listed(c)]
    CatalogDocument.objects.filter(character_id__in=ids).delete()
    rows_insert(CatalogDocument, documents)
    return len(documents)


@transaction.atomic
def catalog_documents_refresh(*, character_ids: Iterable) -> int:
    """Rewrite the documents of these characters from their current state (dropping
    those no longer listed); returns how many are listed."""
    ids = sorted({str(pk) for pk in character_ids})
    if not ids:
        return 0
    # Lock in id order (no deadlock between two refreshes), then read.
    list(
        Character.objects.select_for_update(no_key=True)
        .filter(pk__in=ids)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    return _write(_characters().filter(pk__in=ids), ids)


def catalog_documents_rebuild(*, batch: int = REBUILD_BATCH) -> int:
    """Rewrite every document (characters in batches, each batch one transaction, so
    the catalog stays served while it runs); returns how many characters are listed."""
    total = 0
    summaries: dict = {}
    for ids in pk_batches(Character.objects.all(), size=batch):
        with transaction.atomic():
            total += _write(_characters().filter(pk__in=ids), ids, summaries)
    return total
