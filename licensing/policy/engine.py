"""The policy engine: a pure function from a request's facts to a Decision.

``evaluate`` never reads the database or the clock; the caller gathers the facts
(``licensing.selectors.policy_facts``) and records the result. Each refusal names the
term and the character that refused, so the creator reads exactly why.

Merging: every term of every character involved (requested, mentioned in the prompt,
and the parent work's) is checked on its own, so the most restrictive term always
wins; ``effective`` reports the merged terms the generation must then honour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from licensing.enums import FormOrigin
from licensing.policy.facts import (
    AudienceFacts,
    CharacterFacts,
    Context,
    Decision,
    Lookalike,
    ParentFacts,
    Reason,
)
from licensing.policy.lexicon import categories_in, phrases_in
from licensing.policy.screening import WATCHLIST_PREFIX, Mention
from licensing.terms import RATINGS, Terms

ENGINE_VERSION = "2026.12.1"

CATEGORY_NAMES = {
    "violence": "violence",
    "sexual": "sexual content",
    "hate": "hate",
    "politics": "politics",
    "drugs_weapons": "drugs or weapons",
    "alcohol": "alcohol",
    "defamation": "defamation",
}


def audience_refusal(
    terms: Terms, audience: AudienceFacts, *, licensee_id: str, approved: bool
) -> str | None:
    """Why the creator is outside the offer's audience, or None if they are inside.
    ``approved`` says the licensor approved this licensee (audience ``approved``)."""
    if audience.is_owner or licensee_id in terms.audience_allowlist:
        return None
    if terms.audience == "public":
        return None
    if terms.audience == "self":
        return "Only the rightsholder may use it."
    if terms.audience == "approved":
        return None if approved else "Only people the rightsholder approves may use it."
    if terms.audience == "followers":
        return None if audience.is_follower else "Only the rightsholder's followers may use it."
    if terms.audience == "mutuals":
        return (
            None
            if audience.is_mutual
            else "Only people who follow the rightsholder and whom they follow back may use it."
        )
    return f"Unknown audience {terms.audience!r}."


def matched_as(mention: Mention) -> str:
    """How the prompt wrote a name, for a refusal to quote: "matched as 'c4pt41n n4m1'
    (look-alike letters or digits)", or "... (the romaji reading of 月影レン)"."""
    how = []
    if mention.origin:
        known = mention.origin in FormOrigin.values
        label = FormOrigin(mention.origin).label.lower() if known else "a form"
        how.append(f"{label} of '{mention.alias}'")
    elif mention.form and mention.form != mention.alias:
        how.append(f"the alias '{mention.form}'")
    if mention.disguised:
        how.append("written with look-alike letters, digits or separators")
    text = mention.matched or mention.form or mention.alias
    return f"matched as '{text}'" + (f" ({'; '.join(how)})" if how else "")


class _Collector:
    def __init__(self, matched: Mapping[str, str] | None = None) -> None:
        self.reasons: list[Reason] = []
        self.matched = matched or {}

    def refuse(self, code: str, term: str, message: str, who: CharacterFacts | None = None) -> None:
        self.reasons.append(self._reason(code, term, message, who, "refuse"))

    def review(self, code: str, term: str, message: str, who: CharacterFacts) -> None:
        self.reasons.append(self._reason(code, term, message, who, "review"))

    def _reason(
        self, code: str, term: str, message: str, who: CharacterFacts | None, severity: str
    ) -> Reason:
        how = self.matched.get(who.id) if who else None
        if how:
            message = f"{message} (The prompt names them: {how}.)"
        return Reason(
            code,
            term,
            message,
            who.id if who else None,
            who.name if who else None,
            severity=severity,
            matched_as=how,
        )


def _check_terms(
    out: _Collector,
    *,
    who: CharacterFacts,
    terms: Terms,
    prompt: str,
    context: Context,
    involved: Mapping[str, CharacterFacts],
    prefix: str = "",
) -> None:
    """Every content, scope and time term of one character's licence."""
    name = who.name
    if terms.starts_at and context.now < terms.starts_at:
        out.refuse(
            "not_started",
            prefix + "starts_at",
            f"The licence for {name} starts on {terms.starts_at:%d %b %Y}.",
            who,
        )
    if terms.ends_at and context.now >= terms.ends_at:
        out.refuse(
            "expired",
            prefix + "ends_at",
            f"The licence for {name} ended on {terms.ends_at:%d %b %Y}.",
            who,
        )

    if terms.territories or terms.territory_mode == "allow":
        listed = context.territory in terms.territories
        if context.territory is None:
            # Unknown is refused under a block-list too: leaving the territory out must
            # not be a way around the list.
            where = (
                "only in some territories"
                if terms.territory_mode == "allow"
                else ("everywhere but some territories")
            )
            out.refuse(
                "territory_unknown",
                prefix + "territories",
                f"{name} is licensed {where}, and yours is unknown: say where you are.",
                who,
            )
        elif (terms.territory_mode == "allow") != listed:
            out.refuse(
                "territory",
                prefix + "territories",
                f"{name} may not be used in your territory ({context.territory}).",
                who,
            )

    if context.commercial and not terms.commercial_use:
        out.refuse(
            "commercial_use",
            prefix + "commercial_use",
            f"{name} may be used only in non-commercial videos.",
            who,
        )

    if RATINGS.index(context.rating) > RATINGS.index(terms.max_rating):
        out.refuse(
            "rating",
            prefix + "max_rating",
            f"{name} may appear only in videos rated {terms.max_rating.replace('_', ' ')} "
            f"or milder; this one is {context.rating.replace('_', ' ')}.",
            who,
        )

    if terms.banned_categories:
        found = categories_in(prompt)
        for category in terms.banned_categories:
            if category in found:
                words = ", ".join(f"'{w}'" for w in found[category][:3])
                out.refuse(
                    "banned_category",
                    prefix + "banned_categories",
                    f"{name} may not appear in {CATEGORY_NAMES.get(category, category)} "
                    f"content (the prompt mentions {words}).",
                    who,
                )
    if terms.banned_words:
        for phrase in phrases_in(prompt, terms.banned_words):
            out.refuse(
                "banned_word",
                prefix + "banned_words",
                f"The rightsholder of {name} does not allow '{phrase}'.",
                who,
            )
    for other_id in terms.banned_costars:
        if other_id in involved and other_id != who.id:
            out.refuse(
                "banned_costar",
                prefix + "banned_costars",
                f"{name} may not appear alongside {involved[other_id].name}.",
                who,
            )


def _merge(terms: Iterable[tuple[CharacterFacts, Terms]]) -> dict:
    pairs = list(terms)
    if not pairs:
        return {}
    allow_sets = [set(t.territories) for _, t in pairs if t.territory_mode == "allow"]
    return {
        "commercial_use": all(t.commercial_use for _, t in pairs),
        "max_rating": min((t.max_rating for _, t in pairs), key=RATINGS.index),
        "territories_allowed": sorted(set.intersection(*allow_sets)) if allow_sets else None,
        "territories_blocked": sorted(
            {c for _, t in pairs if t.territory_mode == "block" for c in t.territories}
        ),
        "allowed_actions": sorted(set.intersection(*(set(t.allowed_actions) for _, t in pairs))),
        "approval_per_work": sorted({w.id for w, t in pairs if t.approval == "per_work"}),
        # One line per rightsholder, in lineage order: a remix of a remix inherits the
        # same character's credit at every level.
        "credits": list(
            dict.fromkeys(
                t.credit_text for _, t in pairs if t.attribution_required and t.credit_text
            )
        ),
        "rev_share_bps": {w.id: t.rev_share_bps for w, t in pairs},
        "per_generation_fees": {
            w.id: {"amount": t.per_generation_fee, "currency": t.currency}
            for w, t in pairs
            if t.per_generation_fee
        },
        "max_stack_bps": min(t.max_stack_bps for _, t in pairs),
        "same_terms": sorted({w.id for w, t in pairs if t.remix_policy == "same_terms"}),
    }


def evaluate(
    *,
    prompt: str,
    licensee_id: str,
    requested_ids: Iterable[str],
    mentions: Iterable[Mention],
    characters: Mapping[str, CharacterFacts],
    context: Context,
    parent: ParentFacts | None = None,
    lookalikes: Iterable[Lookalike] = (),
) -> Decision:
    """Decide whether ``licensee_id`` may generate from ``prompt`` with the requested
    characters (and parent work). ``characters`` holds facts for every character
    requested, mentioned, in the parent or among the ``lookalikes`` (characters whose
    description the prompt resembles)."""
    mentions = list(mentions)
    watched = [m for m in mentions if m.character_id.startswith(WATCHLIST_PREFIX)]
    mentions = [m for m in mentions if not m.character_id.startswith(WATCHLIST_PREFIX)]
    first: dict[str, Mention] = {}
    for m in mentions:
        first.setdefault(m.character_id, m)
    out = _Collector({cid: matched_as(m) for cid, m in first.items()})
    _check_watchlist(out, watched, registered=mentions, characters=characters)
    requested = list(dict.fromkeys(requested_ids))
    mentioned = list(first)
    review_only = {m.character_id for m in mentions if m.mode == "review"}
    parent_ids = list(parent.character_ids) if parent else []
    involved_ids = list(dict.fromkeys([*requested, *mentioned, *parent_ids]))
    involved = {cid: characters[cid] for cid in involved_ids if cid in characters}
    for cid in requested:
        if cid not in characters:
            out.refuse("unknown_character", "character", f"No character with id {cid}.")
    action = "remix" if parent else context.action
    licensed: list[tuple[CharacterFacts, Terms]] = []
    for cid in involved_ids:
        who = characters.get(cid)
        if who is None:
            continue
        explicit = cid in requested or cid in parent_ids
        grant = _usable_grant(out, who, review_only=cid in review_only and not explicit)
        if grant is None:
            continue
        licensed.append((who, grant.terms))
        _check_licence(out, who=who, grant=grant, action=action, licensee_id=licensee_id)
        _check_terms(
            out, who=who, terms=grant.terms, prompt=prompt, context=context, involved=involved
        )
    if parent is not None:
        licensed += _check_parent(
            out,
            parent=parent,
            characters=characters,
            prompt=prompt,
            context=context,
            involved=involved,
        )
    involved_ids += _check_lookalikes(
        out, lookalikes=lookalikes, characters=characters, checked=set(involved_ids)
    )
    effective = _merge(licensed)
    if effective:
        _check_stack(out, effective)
    return _decision(out, involved_ids=involved_ids, effective=effective)


def _check_watchlist(
    out: _Collector,
    watched: list[Mention],
    *,
    registered: list[Mention],
    characters: Mapping[str, CharacterFacts],
) -> None:
    """A watchlisted character (well known, registered by nobody yet) is refused by name,
    unless a registered character of that name is mentioned too: then its own terms
    decide."""
    taken = {_folded(c.name) for c in characters.values()}
    taken |= {_folded(m.alias) for m in registered}
    for mention in dict((m.character_id, m) for m in reversed(watched)).values():
        if _folded(mention.alias) in taken:
            continue
        out.reasons.append(
            Reason(
                "watchlisted",
                "watchlist",
                f"{mention.alias} is not licensable on Cocreate yet: its rightsholder has "
                f"not registered it. (The prompt names it: {matched_as(mention)}.)",
                None,
                mention.alias,
                matched_as=matched_as(mention),
            )
        )


def _folded(name: str) -> str:
    return "".join(name.casefold().split())


def _check_lookalikes(
    out: _Collector,
    *,
    lookalikes: Iterable[Lookalike],
    characters: Mapping[str, CharacterFacts],
    checked: set[str],
) -> list[str]:
    """Characters the prompt describes without naming them. Those already ``checked``
    (requested, in the parent, or named) are skipped. A disallowed one is refused; one
    the creator owns or holds an active licence for passes; any other gets what its
    rightsholder chose: refuse, review (the rightsholder's approvals queue) or allow.
    Returns the ids that produced a reason: they are involved in the decision.

    A lookalike never brings its licence's terms or fees into the request: it is a
    guess from meaning, so it can only stop or hold a request, never charge it."""
    flagged = []
    for match in lookalikes:
        who = characters.get(match.character_id)
        if who is None or who.id in checked or who.id in flagged:
            continue
        described = f"The prompt describes {who.name}{_gist(who.description)} without naming them"
        if who.disallowed:
            out.refuse(
                "lookalike_disallowed",
                "disallowed",
                f"{described}, and {who.name} is disallowed by its rightsholder: "
                "no videos may show them.",
                who,
            )
        elif who.audience.is_owner or (who.grant is not None and who.grant.status == "active"):
            continue
        elif who.lookalike_action == "refuse":
            out.refuse(
                "lookalike",
                "lookalike_action",
                f"{described}, and you hold no licence for them. Choose {who.name} and "
                "accept one of its offers, or describe someone of your own.",
                who,
            )
        elif who.lookalike_action == "allow":
            continue
        else:  # review, the default
            out.review(
                "lookalike_needs_review",
                "lookalike_action",
                f"{described}; its rightsholder will review the video.",
                who,
            )
        flagged.append(who.id)
    return flagged


def _gist(description: str, limit: int = 80) -> str:
    """`` (the start of the description…)``, cut at a word, or nothing without one."""
    text = " ".join(description.split())
    if not text:
        return ""
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"
    first, _, rest = text.partition(" ")
    if first in ("A", "An", "The") and rest:
        text = f"{first.lower()} {rest}"
    return f" ({text.rstrip('.')})"


def _usable_grant(out: _Collector, who: CharacterFacts, *, review_only: bool):
    """The character's active grant, or None after saying why it cannot be used: the
    character is disallowed or unavailable, or the licensee holds no active licence
    (a review-mode alias only mentioned in passing goes to review instead)."""
    if who.disallowed:
        out.refuse(
            "disallowed_character",
            "disallowed",
            f"{who.name} is disallowed by its rightsholder: no videos may show them.",
            who,
        )
        return None
    if who.status == "draft":
        # Its owner is not proven yet (services/standing.py): nobody may use it, and a
        # licence taken before it went back to review does not change that.
        out.refuse(
            "character_draft",
            "status",
            f"{who.name} is not verified yet: its rightsholder must prove it is theirs "
            "before videos can show it.",
            who,
        )
        return None
    grant = who.grant
    if grant is None or grant.status != "active":
        if review_only:
            out.review(
                "mention_needs_review",
                "alias",
                f"The prompt may mention {who.name}; the rightsholder will review it.",
                who,
            )
        elif grant is None:
            out.refuse(
                "unlicensed_character",
                "grant",
                f"You hold no licence for {who.name}. Accept one of its offers first.",
                who,
            )
        else:
            out.refuse(
                "grant_not_active",
                "grant",
                f"Your licence for {who.name} is {grant.status.replace('_', ' ')}.",
                who,
            )
        return None
    if who.status != "active":
        out.refuse("character_unavailable", "status", f"{who.name} is {who.status}.", who)
        return None
    return grant


def _check_licence(
    out: _Collector, *, who: CharacterFacts, grant, action: str, licensee_id: str
) -> None:
    """What the licence itself limits: the action, the audience, and its caps."""
    terms = grant.terms
    if action not in terms.allowed_actions:
        out.refuse(
            "action_not_allowed",
            "allowed_actions",
            f"The licence for {who.name} does not allow you to {action}.",
            who,
        )
    problem = audience_refusal(terms, who.audience, licensee_id=licensee_id, approved=True)
    if problem:
        out.refuse("audience", "audience", f"{who.name}: {problem}", who)
    cap = terms.max_generations_per_licensee
    if cap is not None and grant.generations_used >= cap:
        out.refuse(
            "cap_generations",
            "max_generations_per_licensee",
            f"You have used all {cap} generations your licence for {who.name} allows.",
            who,
        )
    if terms.max_works is not None and grant.works_total >= terms.max_works:
        out.refuse(
            "cap_works",
            "max_works",
            f"{who.name} has reached its limit of {terms.max_works} published works.",
            who,
        )


def _check_parent(
    out: _Collector,
    *,
    parent: ParentFacts,
    characters: Mapping[str, CharacterFacts],
    prompt: str,
    context: Context,
    involved: Mapping[str, CharacterFacts],
) -> list[tuple[CharacterFacts, Terms]]:
    """The parent's licences must allow remixing; ``same_terms`` ones bind the remix too
    (reciprocal: the derivative carries the parent's terms). Returns those that bind."""
    binding = []
    for cid, terms in parent.terms:
        who = characters.get(cid) or CharacterFacts(
            id=cid, name=cid, kind="character", rightsholder=""
        )
        if "remix" not in terms.allowed_actions:
            out.refuse(
                "remix_not_allowed",
                "parent:allowed_actions",
                f"The work you are remixing uses {who.name}, whose licence does not allow remixes.",
                who,
            )
        if terms.remix_policy == "same_terms":
            _check_terms(
                out,
                who=who,
                terms=terms,
                prompt=prompt,
                context=context,
                involved=involved,
                prefix="parent:",
            )
            binding.append((who, terms))
    return binding


def _check_stack(out: _Collector, effective: dict) -> None:
    """The rightsholders' shares together stay within the strictest stack cap."""
    stack = sum(effective["rev_share_bps"].values())
    if stack > effective["max_stack_bps"]:
        out.refuse(
            "stack_exceeds_cap",
            "max_stack_bps",
            f"The rightsholders' shares add up to {stack / 100:g}%, above the "
            f"{effective['max_stack_bps'] / 100:g}% cap their terms allow.",
        )
    effective["stack_bps"] = stack


def _decision(out: _Collector, *, involved_ids: list[str], effective: dict) -> Decision:
    reasons = tuple(out.reasons)
    refused = any(r.severity == "refuse" for r in reasons)
    return Decision(
        allowed=not refused,
        reasons=reasons,
        engine_version=ENGINE_VERSION,
        character_ids=tuple(involved_ids),
        needs_review=not refused
        and (
            bool(effective.get("approval_per_work")) or any(r.severity == "review" for r in reasons)
        ),
        effective=effective,
    )
