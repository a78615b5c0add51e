"""License terms as W3C ODRL 2.2 policies in JSON-LD (DESIGN.md: Offer -> ``odrl:Offer``,
Grant -> ``odrl:Agreement``).

Pure functions; no database, no network. The ``@context`` is inline, so any JSON-LD
processor reads a document offline. Terms without an ODRL Common Vocabulary equivalent
use the Cocreate profile (``cc:``, https://cocreate.example/ns/odrl#), described by
``profile_document()``. The policy carries ``cc:termsHash``, the sha256 of the canonical
terms, so a reader can always get back to the exact ``Terms`` it was made from.

Target, assigner and assignee are stated once on the policy; ODRL 2.2 (section 2.7.1)
makes every rule inherit them.

=============================  ===============================================================
Term                           ODRL
=============================  ===============================================================
allowed_actions                one ``permission`` per action: generate -> ``cc:generate``
                               (``odrl:includedIn odrl:use``), remix -> ``odrl:derive``,
                               publish -> ``odrl:distribute``, export -> ``odrl:reproduce``
                               (a copy leaves Cocreate)
sublicensable                  an extra ``odrl:grantUse`` permission
audience (not public)          constraint ``cc:audience eq cc:<audience>``; with an allowlist,
                               ``odrl:or`` of that and ``cc:licensee isAnyOf [user ids]``
approval                       constraint ``cc:approval eq cc:per_licensee|cc:per_work``;
                               per_work adds ``cc:reviewWithin lteq "PT72H"^^xsd:duration``
commercial_use false           constraint ``odrl:purpose isNoneOf cc:commercial``
territories                    constraint ``odrl:spatial isAnyOf`` (allow) / ``isNoneOf``
                               (block) the ISO 3166-1 alpha-2 codes, as literals
starts_at / ends_at            constraints ``odrl:dateTime gteq`` / ``lt``, ``xsd:dateTime``
max_generations_per_licensee   constraint ``odrl:count lteq N`` on each permission (the policy
                               engine counts generations across actions)
max_licensees / max_works      constraints ``cc:licenseeCount`` / ``cc:workCount lteq N``
max_rating (below mature)      constraint ``cc:rating isAnyOf`` the ratings allowed
banned_categories              prohibition ``odrl:use`` with
                               ``cc:contentCategory isAnyOf [cc:violence, ...]``
banned_words                   prohibition ``odrl:use`` with ``cc:contentWord isAnyOf [...]``
banned_costars                 prohibition ``odrl:use`` with ``cc:costar isAnyOf [ids]``
ai_training not_allowed        prohibition ``cc:aiTraining`` (on the asset and its output)
attribution_required           obligation ``odrl:attribute``, ``attributedParty`` = assigner,
                               refinement ``cc:creditText eq "<credit>"``
upfront_fee                    obligation ``odrl:compensate``, refinement ``odrl:payAmount eq``
                               major units as ``xsd:decimal`` with ``unit`` a QUDT currency
                               IRI; constraint ``odrl:event lt odrl:policyUsage`` (pay first)
per_generation_fee             duty ``odrl:compensate`` (``payAmount``) on the generate and
                               remix permissions: due each time one is exercised
rev_share_bps                  obligation ``odrl:compensate``, refinement
                               ``odrl:percentage eq`` bps / 100 (1500 -> 15)
remix_policy same_terms        duty ``odrl:nextPolicy`` on ``odrl:derive``, target = the offer
=============================  ===============================================================

Not expressed as ODRL (they live in the hashed terms): termination_notice_days,
upstream_model, max_stack_bps, transferable, on_revoke, grace_days.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.money import minor_to_major, percent_from_bps
from licensing.terms import ACTIONS, RATINGS, Terms

ODRL = "http://www.w3.org/ns/odrl/2/"
CC = "https://cocreate.example/ns/odrl#"
PROFILE = "https://cocreate.example/ns/odrl"
CURRENCY_IRI = "http://qudt.org/vocab/currency/{code}"

ACTION_IRIS = {
    "generate": "cc:generate",
    "remix": "odrl:derive",
    "publish": "odrl:distribute",
    "export": "odrl:reproduce",
}
# Actions that make a new video: each costs the per-generation fee.
GENERATING_ACTIONS = ("generate", "remix")


def _id(name: str) -> dict[str, str]:
    return {"@id": name, "@type": "@id"}


def _vocab(name: str) -> dict[str, str]:
    return {"@id": name, "@type": "@vocab"}


CONTEXT: dict[str, Any] = {
    "odrl": ODRL,
    "cc": CC,
    "dct": "http://purl.org/dc/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "uid": "@id",
    "type": "@type",
    "profile": _id("odrl:profile"),
    "target": _id("odrl:target"),
    "assigner": _id("odrl:assigner"),
    "assignee": _id("odrl:assignee"),
    "attributedParty": _id("odrl:attributedParty"),
    "compensatedParty": _id("odrl:compensatedParty"),
    "permission": _id("odrl:permission"),
    "prohibition": _id("odrl:prohibition"),
    "obligation": _id("odrl:obligation"),
    "duty": _id("odrl:duty"),
    "constraint": _id("odrl:constraint"),
    "refinement": _id("odrl:refinement"),
    "or": _id("odrl:or"),
    "action": _vocab("odrl:action"),
    "leftOperand": _vocab("odrl:leftOperand"),
    "operator": _vocab("odrl:operator"),
    "rightOperand": {"@id": "odrl:rightOperand"},
    "unit": _id("odrl:unit"),
    "includedIn": _vocab("odrl:includedIn"),
}


def offer_to_odrl(
    *,
    uid: str,
    terms: Terms,
    target: str,
    assigner: str,
    terms_hash: str,
    issued: datetime | None = None,
) -> dict[str, Any]:
    """The offer version as an ``odrl:Offer``: the assigner's terms, open to any assignee."""
    return _policy(
        policy_type="odrl:Offer",
        uid=uid,
        offer_uid=uid,
        terms=terms,
        target=target,
        assigner=assigner,
        assignee=None,
        terms_hash=terms_hash,
        issued=issued,
    )


def agreement_to_odrl(
    *,
    uid: str,
    offer_uid: str,
    terms: Terms,
    target: str,
    assigner: str,
    assignee: str,
    terms_hash: str,
    issued: datetime | None = None,
) -> dict[str, Any]:
    """A grant as an ``odrl:Agreement``: the same rules as its offer, plus the assignee,
    with ``dct:source`` pointing at the offer it accepted."""
    return _policy(
        policy_type="odrl:Agreement",
        uid=uid,
        offer_uid=offer_uid,
        terms=terms,
        target=target,
        assigner=assigner,
        assignee=assignee,
        terms_hash=terms_hash,
        issued=issued,
    )


def profile_document() -> dict[str, Any]:
    """The Cocreate ODRL profile (served at ``PROFILE``): what each ``cc:`` term means."""
    actions = {
        "cc:generate": "Generate a new video featuring the asset.",
        "cc:aiTraining": "Use the asset, or output made with it, to train an AI model.",
    }
    operands = {
        "cc:audience": "Who may accept: cc:self, cc:approved, cc:followers or cc:mutuals.",
        "cc:licensee": "The id of the user accepting the offer.",
        "cc:approval": "The review needed: cc:per_licensee (each creator) or cc:per_work "
        "(each video, before it is published).",
        "cc:reviewWithin": "How long a per-work review may take; unreviewed means denied.",
        "cc:licenseeCount": "The number of creators holding the licence.",
        "cc:workCount": "The number of videos made under the offer, by all creators.",
        "cc:rating": "The content rating of a video: cc:all_ages, cc:teen or cc:mature.",
        "cc:contentCategory": "A content category of a video, e.g. cc:violence.",
        "cc:contentWord": "A word or phrase in a video's prompt, script or caption.",
        "cc:costar": "The id of another character appearing in the video.",
        "cc:creditText": "The exact credit to show.",
    }
    return {
        "@context": copy.deepcopy(CONTEXT),
        "@graph": [
            {
                "uid": PROFILE,
                "rdfs:comment": "Cocreate's ODRL 2.2 profile for character and likeness "
                "licences. Purpose cc:commercial is use that earns money.",
            },
            *(
                {
                    "uid": name,
                    "type": "odrl:Action",
                    "includedIn": "odrl:use",
                    "rdfs:isDefinedBy": {"@id": PROFILE},
                    "rdfs:comment": comment,
                }
                for name, comment in actions.items()
            ),
            *(
                {
                    "uid": name,
                    "type": "odrl:LeftOperand",
                    "rdfs:isDefinedBy": {"@id": PROFILE},
                    "rdfs:comment": comment,
                }
                for name, comment in operands.items()
            ),
        ],
    }


# --- building blocks ------------------------------------------------------------------------


def _policy(
    *,
    policy_type: str,
    uid: str,
    offer_uid: str,
    terms: Terms,
    target: str,
    assigner: str,
    assignee: str | None,
    terms_hash: str,
    issued: datetime | None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": copy.deepcopy(CONTEXT),
        "uid": uid,
        "type": policy_type,
        "profile": PROFILE,
        "target": target,
        "assigner": assigner,
    }
    if assignee is not None:
        doc["assignee"] = assignee
    if offer_uid != uid:
        doc["dct:source"] = {"@id": offer_uid}
    if issued is not None:
        doc["dct:issued"] = _datetime(issued)
    doc["cc:termsHash"] = terms_hash
    doc["permission"] = _permissions(terms, offer_uid=offer_uid, assigner=assigner)
    prohibitions = _prohibitions(terms)
    if prohibitions:
        doc["prohibition"] = prohibitions
    obligations = _obligations(terms, assigner=assigner)
    if obligations:
        doc["obligation"] = obligations
    return doc


def _permissions(terms: Terms, *, offer_uid: str, assigner: str) -> list[dict[str, Any]]:
    actions = [a for a in ACTIONS if a in terms.allowed_actions]
    generating = [a for a in actions if a in GENERATING_ACTIONS] or actions
    permissions = []
    for action in actions:
        duties = []
        if terms.per_generation_fee and action in generating:
            fee = _pay_amount(terms.per_generation_fee, terms.currency)
            duties.append(_compensate(fee, assigner))
        if action == "remix" and terms.remix_policy == "same_terms":
            duties.append({"action": "odrl:nextPolicy", "target": offer_uid})
        permissions.append(_rule(ACTION_IRIS[action], _constraints(terms), duty=duties))
    if terms.sublicensable:
        permissions.append(_rule("odrl:grantUse", _constraints(terms)))
    return permissions


def _constraints(terms: Terms) -> list[dict[str, Any]]:
    constraints = []
    if terms.audience != "public":
        audience = _constraint("cc:audience", "odrl:eq", _iri(f"cc:{terms.audience}"))
        if terms.audience_allowlist:
            listed = _constraint("cc:licensee", "odrl:isAnyOf", list(terms.audience_allowlist))
            audience = {"or": {"@list": [audience, listed]}}
        constraints.append(audience)
    if terms.approval != "none":
        constraints.append(_constraint("cc:approval", "odrl:eq", _iri(f"cc:{terms.approval}")))
        if terms.approval == "per_work":
            within = {"@value": f"PT{terms.approval_deadline_hours}H", "@type": "xsd:duration"}
            constraints.append(_constraint("cc:reviewWithin", "odrl:lteq", within))
    if not terms.commercial_use:
        constraints.append(_constraint("odrl:purpose", "odrl:isNoneOf", _iri("cc:commercial")))
    if terms.territories:
        operator = "odrl:isAnyOf" if terms.territory_mode == "allow" else "odrl:isNoneOf"
        constraints.append(_constraint("odrl:spatial", operator, sorted(terms.territories)))
    if terms.starts_at:
        constraints.append(_constraint("odrl:dateTime", "odrl:gteq", _datetime(terms.starts_at)))
    if terms.ends_at:
        constraints.append(_constraint("odrl:dateTime", "odrl:lt", _datetime(terms.ends_at)))
    caps = (
        ("odrl:count", terms.max_generations_per_licensee),
        ("cc:licenseeCount", terms.max_licensees),
        ("cc:workCount", terms.max_works),
    )
    for operand, cap in caps:
        if cap is not None:
            constraints.append(_constraint(operand, "odrl:lteq", cap))
    if terms.max_rating in RATINGS and terms.max_rating != RATINGS[-1]:
        allowed = RATINGS[: RATINGS.index(terms.max_rating) + 1]
        constraints.append(_constraint("cc:rating", "odrl:isAnyOf", _iris(allowed)))
    return constraints


def _prohibitions(terms: Terms) -> list[dict[str, Any]]:
    banned = (
        ("cc:contentCategory", _iris(terms.banned_categories)),
        ("cc:contentWord", list(terms.banned_words)),
        ("cc:costar", list(terms.banned_costars)),
    )
    prohibitions = [
        _rule("odrl:use", [_constraint(operand, "odrl:isAnyOf", values)])
        for operand, values in banned
        if values
    ]
    if terms.ai_training == "not_allowed":
        prohibitions.append(_rule("cc:aiTraining", []))
    return prohibitions


def _obligations(terms: Terms, *, assigner: str) -> list[dict[str, Any]]:
    obligations: list[dict[str, Any]] = []
    if terms.attribution_required:
        credit = _constraint("cc:creditText", "odrl:eq", terms.credit_text)
        obligations.append(
            {
                "action": [{"rdf:value": {"@id": "odrl:attribute"}, "refinement": [credit]}],
                "attributedParty": assigner,
            }
        )
    if terms.upfront_fee:
        upfront = _compensate(_pay_amount(terms.upfront_fee, terms.currency), assigner)
        upfront["constraint"] = [
            _constraint("odrl:event", "odrl:lt", _iri("odrl:policyUsage")),
        ]
        obligations.append(upfront)
    if terms.rev_share_bps:
        percentage = {"@value": percent_from_bps(terms.rev_share_bps), "@type": "xsd:decimal"}
        share = _constraint("odrl:percentage", "odrl:eq", percentage)
        obligations.append(_compensate(share, assigner))
    return obligations


def _rule(action: str, constraints: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"action": action}
    if constraints:
        rule["constraint"] = constraints
    rule.update({key: value for key, value in extra.items() if value})
    return rule


def _compensate(refinement: dict[str, Any], party: str) -> dict[str, Any]:
    return {
        "action": [{"rdf:value": {"@id": "odrl:compensate"}, "refinement": [refinement]}],
        "compensatedParty": party,
    }


def _pay_amount(amount: int, currency: str) -> dict[str, Any]:
    value = {"@value": str(minor_to_major(amount, currency)), "@type": "xsd:decimal"}
    constraint = _constraint("odrl:payAmount", "odrl:eq", value)
    constraint["unit"] = CURRENCY_IRI.format(code=currency.upper())
    return constraint


def _constraint(left: str, operator: str, right: Any) -> dict[str, Any]:
    return {"leftOperand": left, "operator": operator, "rightOperand": right}


def _iri(name: str) -> dict[str, str]:
    return {"@id": name}


def _iris(codes: Sequence[str]) -> list[dict[str, str]]:
    return [_iri(f"cc:{code}") for code in codes]


def _datetime(moment: datetime) -> dict[str, str]:
    return {"@value": moment.isoformat(), "@type": "xsd:dateTime"}
