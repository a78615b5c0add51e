"""TDMRep (W3C Text and Data Mining Reservation Protocol) forms of the offer's
``ai_training`` term: the ``tdm-reservation`` / ``tdm-policy`` response headers and
the ``/.well-known/tdmrep.json`` rules, whose policy is the reserving offer's ODRL
export (it carries the ``cc:aiTraining`` prohibition)."""

from __future__ import annotations

from django.urls import reverse


def offer_policy_url(*, offer_id, base_url: str) -> str:
    """The absolute URL of an offer's ODRL export."""
    return base_url.rstrip("/") + reverse("api-offer-odrl", kwargs={"pk": offer_id})


def tdm_headers(*, offer_id, base_url: str) -> dict[str, str]:
    """The TDMRep headers of a reserved file; ``offer_id`` None for no policy."""
    headers = {"tdm-reservation": "1"}
    if offer_id is not None:
        headers["tdm-policy"] = offer_policy_url(offer_id=offer_id, base_url=base_url)
    return headers


def tdm_rule(*, location: str, offer_id, base_url: str) -> dict:
    """One ``tdmrep.json`` rule reserving the files under ``location``."""
    rule: dict = {"location": location, "tdm-reservation": 1}
    if offer_id is not None:
        rule["tdm-policy"] = offer_policy_url(offer_id=offer_id, base_url=base_url)
    return rule
