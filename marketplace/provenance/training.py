"""Training and data mining opt-outs, published where machines look for them.

A work's licences say, through each offer's ``ai_training`` term, whether it may be
used to train AI models; the strictest licence wins. We publish that three ways:

- in the work's C2PA manifest, as the CAWG training-and-data-mining assertion
  (``cawg.training-mining``, CAWG spec v1.1: a map of ``entries``, each
  ``{"use": "allowed" | "notAllowed" | "constrained"}``);
- in ``/.well-known/tdmrep.json`` (W3C TDM Reservation Protocol: an array of
  ``{"location", "tdm-reservation", "tdm-policy"}`` rules);
- in the ``tdm-reservation`` and ``tdm-policy`` headers of the media responses.

The TDMRep forms live in licensing/training.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from licensing import selectors as licensing_selectors
from licensing.training import tdm_headers, tdm_rule
from marketplace.enums import WorkStatus
from marketplace.models import WorkLicense

ALLOWED = "allowed"
NOT_ALLOWED = "notAllowed"


def training_use(*, ai_training_terms: Iterable[str]) -> str | None:
    """The CAWG ``use`` for a work made under licences with these ``ai_training``
    terms: ``allowed`` when every licence allows training, else ``notAllowed`` (the
    strictest wins). None for a work made under no licence: no rightsholder has
    said anything, as in tdmrep.json, where such a work is not listed."""
    terms = list(ai_training_terms)
    if not terms:
        return None
    return ALLOWED if all(term == "allowed" for term in terms) else NOT_ALLOWED


def _reserving_licenses():
    return WorkLicense.objects.filter(
        offer_id__in=licensing_selectors.offers_reserving_training().values("pk")
    ).order_by("work_id", "id")


def work_training_reservation(*, work_id) -> tuple[bool, object | None]:
    """Whether a work's files are reserved from AI training and data mining, and the
    offer that reserves them (its first reserving licence's). A work made under no
    licence has no rightsholder to reserve anything."""
    offer_id = _reserving_licenses().filter(work_id=work_id).values_list("offer_id", flat=True)
    first = offer_id.first()
    if first is not None:
        return True, first
    return False, None


def work_tdm_headers(*, work_id, base_url: str) -> dict[str, str]:
    """The TDMRep headers of a work's video and poster (none when not reserved)."""
    reserved, offer_id = work_training_reservation(work_id=work_id)
    return tdm_headers(offer_id=offer_id, base_url=base_url) if reserved else {}


def tdmrep_rules(*, base_url: str) -> list[dict]:
    """The TDMRep rules for ``/.well-known/tdmrep.json``: one per public folder of
    reserved files (a published work's video and poster, an active character's
    reference images), each with its rightsholder's ODRL policy when there is one.
    Files that are not public are not listed: no crawler can fetch them."""
    media = settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else f"/{settings.MEDIA_URL}"
    rules: list[dict] = []
    seen = set()
    works = _reserving_licenses().filter(work__status=WorkStatus.PUBLISHED)
    for work_id, offer_id in works.values_list("work_id", "offer_id"):
        if work_id in seen:
            continue
        seen.add(work_id)
        rules.append(
            tdm_rule(location=f"{media}works/{work_id}/*", offer_id=offer_id, base_url=base_url)
        )
    for character_id, offer_id in licensing_selectors.characters_reserving_training():
        rules.append(
            tdm_rule(
                location=f"{media}characters/{character_id}/*",
                offer_id=offer_id,
                base_url=base_url,
            )
        )
    return rules
