"""What a refused or failed request tells its creator: for every reason code (the policy
engine's, the caps', payments' and marketplace's own), one plain sentence and the one
thing to do next, as a link. The one place these words live: the progress page, the
studio's "Check terms" and the creator's notification all read them from here, so no
page shows an engine's term name ("grant", "territories") or a rule id.

A code missing from ``WORDS`` is a bug that tests/marketplace/test_refusals.py finds:
it walks every code the sources can produce."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from licensing.summary import country_name

# Where an action leads.
CHARACTER = "character"  # the character's page, to take (or renew) a licence
CATALOG = "catalog"  # the catalog, to choose another character
GRANTS = "grants"  # the creator's licences
WALLET = "wallet"  # the wallet, to top up
AGAIN = "again"  # the studio, filled in with this request, to change it
STORYLINES = "storylines"  # the open storylines, to take part in another
NONE = ""  # nothing to do: the request goes on (a review)


@dataclass(frozen=True)
class Words:
    """A sentence and an action label, with ``{name}`` (the character), ``{by}`` (who
    decided), ``{country}``, ``{rating}`` and ``{detail}`` (the engine's own, plain,
    sentence) filled in."""

    text: str
    action: str
    target: str


@dataclass(frozen=True)
class Advice:
    """One thing that stopped the video, and the way forward (``url`` may be empty)."""

    text: str
    action: str = ""
    url: str = ""


CHANGE_PROMPT = "Change the prompt"

WORDS: dict[str, Words] = {
    # The licence itself
    "unlicensed_character": Words(
        "You don't have a licence for {name} yet.", "Get a licence for {name}", CHARACTER
    ),
    "grant_not_active": Words(
        "Your licence for {name} isn't active.", "Get a licence for {name}", CHARACTER
    ),
    "not_started": Words("{detail}", "See your licences", GRANTS),
    "expired": Words("{detail}", "Get a new licence for {name}", CHARACTER),
    "action_not_allowed": Words(
        "Your licence for {name} doesn't allow this kind of video.",
        "See other offers for {name}",
        CHARACTER,
    ),
    "audience": Words(
        "{name}'s rightsholder lets only some people use them, and you're not one of them yet.",
        "See who may use {name}",
        CHARACTER,
    ),
    "cap_generations": Words(
        "You've made all the videos your licence for {name} allows.",
        "Get a new licence for {name}",
        CHARACTER,
    ),
    "cap_works": Words(
        "{name} has reached the number of published videos its rightsholder allows.",
        "Choose another character",
        CATALOG,
    ),
    # The character
    "unknown_character": Words(
        "One of the characters you chose no longer exists.", "Choose your characters again", AGAIN
    ),
    "disallowed_character": Words(
        "{name}'s rightsholder doesn't allow any videos of them.",
        "Choose another character",
        CATALOG,
    ),
    "character_draft": Words(
        "{name} can't be used yet: its rightsholder hasn't proved it is theirs.",
        "Choose another character",
        CATALOG,
    ),
    "character_unavailable": Words(
        "{name} isn't available at the moment.", "Choose another character", CATALOG
    ),
    "watchlisted": Words(
        "{name} can't be used on Cocreate: its rightsholder hasn't joined yet.",
        CHANGE_PROMPT,
        AGAIN,
    ),
    # What the video would be
    "territory_unknown": Words(
        "{name} may be used only in some countries, and you didn't say where you are.",
        "Choose your country",
        AGAIN,
    ),
    "territory": Words(
        "{name} may not be used in {country}.", "See where {name} may be used", CHARACTER
    ),
    "commercial_use": Words(
        "{name} may appear only in non-commercial videos.", "Make it non-commercial", AGAIN
    ),
    "rating": Words("{detail}", "Change the rating", AGAIN),
    "banned_category": Words("{detail}", CHANGE_PROMPT, AGAIN),
    "banned_word": Words("{detail}", CHANGE_PROMPT, AGAIN),
    "banned_costar": Words("{detail}", "Choose other characters", AGAIN),
    "remix_not_allowed": Words(
        "The video you're remixing shows {name}, whose rightsholder doesn't allow remixes.",
        "Make your own video instead",
        AGAIN,
    ),
    "stack_exceeds_cap": Words(
        "Together, these characters' rightsholders would take a larger share than their "
        "licences allow.",
        "Use fewer characters",
        AGAIN,
    ),
    # Characters the prompt names or describes
    "lookalike": Words(
        "The prompt describes {name} without naming them, and you don't have a licence for {name}.",
        "Get a licence for {name}",
        CHARACTER,
    ),
    "lookalike_disallowed": Words(
        "The prompt describes {name}, whose rightsholder doesn't allow any videos of them.",
        CHANGE_PROMPT,
        AGAIN,
    ),
    "lookalike_needs_review": Words(
        "The prompt describes {name}: their rightsholder will look at the video before it "
        "is published.",
        "",
        NONE,
    ),
    "mention_needs_review": Words(
        "The prompt may mention {name}: their rightsholder will look at the video before it "
        "is published.",
        "",
        NONE,
    ),
    # Takes of a storyline
    "storyline_closed": Words(
        "{detail} Its rightsholder closed it.", "See the open storylines", STORYLINES
    ),
    "storyline_not_started": Words("{detail}", "See the open storylines", STORYLINES),
    "storyline_ended": Words("{detail}", "See the open storylines", STORYLINES),
    "take_too_long": Words("{detail}", "Make it shorter", AGAIN),
    "storyline_character_not_allowed": Words("{detail}", "Choose other characters", AGAIN),
    "storyline_wrong_offer": Words("{detail}", "Get that licence for {name}", CHARACTER),
    "storyline_no_character": Words("{detail}", "Choose the storyline's characters", AGAIN),
    # Money
    "insufficient_funds": Words(
        "Your wallet doesn't hold enough for this video's fees.", "Top up your wallet", WALLET
    ),
    # After the video was made
    "approval_denied": Words("{by} declined the video.{detail}", "Make another video", AGAIN),
    "approval_expired": Words(
        "{by} didn't look at the video in time, so it was not published.", "Try again", AGAIN
    ),
    "deleted_before_approval": Words(
        "You deleted the video before it was approved.", "Make another video", AGAIN
    ),
    "licence_ended": Words(
        "A licence this video needed ended before the video was finished.",
        "See your licences",
        GRANTS,
    ),
    "failed": Words(
        "Something went wrong on our side while making it. Any fee held for it was given back.",
        "Try again",
        AGAIN,
    ),
}


def studio_again_url(request) -> str:
    """The studio, filled in with ``request`` (prompt, characters, remix and choices)."""
    return reverse("marketplace:studio") + "?" + urlencode({"again": str(request.pk)})


def _url(target: str, reason: Mapping, again_url: str) -> str:
    character_id = reason.get("character_id")
    if target == CHARACTER:
        if character_id:
            return reverse("licensing:character_detail", kwargs={"pk": character_id})
        return reverse("licensing:catalog")
    if target == CATALOG:
        return reverse("licensing:catalog")
    if target == GRANTS:
        return reverse("licensing:my_grants")
    if target == STORYLINES:
        return reverse("marketplace:storyline_list")
    if target == WALLET:
        return reverse("payments:earnings") + "#wallet"
    if target == AGAIN:
        return again_url or reverse("marketplace:studio")
    return ""


def _as_dict(reason) -> Mapping:
    return reason if isinstance(reason, Mapping) else reason.to_dict()


def advice_for(reason, *, territory: str = "", again_url: str = "") -> Advice:
    """The words and the action for one reason (a dict as stored, or an engine Reason)."""
    reason = _as_dict(reason)
    words = WORDS.get(reason.get("code") or "", WORDS["failed"])
    name = reason.get("character_name") or "this character"
    detail = reason.get("message") or ""
    if reason.get("code") == "approval_denied":
        # The rightsholder's note, if they wrote one.
        detail = f" They said: “{detail}”" if detail else ""
    fill = {
        "name": name,
        "by": reason.get("by") or f"{name}'s rightsholder",
        "country": country_name(territory) if territory else "your country",
        "detail": detail,
    }
    action, target = words.action, words.target
    if target == CATALOG and reason.get("matched_as"):
        # Only the prompt brought the character in: leaving it out is the way forward.
        action, target = CHANGE_PROMPT, AGAIN
    return Advice(
        text=words.text.format(**fill),
        action=action.format(**fill),
        url=_url(target, reason, again_url),
    )


def refusal_advice(
    reasons: Iterable, *, territory: str = "", again_url: str = "", severity: str = "refuse"
) -> list[Advice]:
    """What to tell the creator about ``reasons`` of one severity: each thing once, in
    their order (two characters refused for the same cause give two lines; the same
    cause twice gives one)."""
    seen: dict[str, Advice] = {}
    for reason in reasons:
        reason = _as_dict(reason)
        if reason.get("severity", "refuse") != severity:
            continue
        advice = advice_for(reason, territory=territory, again_url=again_url)
        seen.setdefault(advice.text, advice)
    return list(seen.values())


def request_advice(request) -> list[Advice]:
    """Why this refused or failed request made no video, and what to do; a request that
    ended without a reason code (made before codes, or an unexpected failure) still
    gets one line with a way forward."""
    again = studio_again_url(request)
    advice = refusal_advice(request.reasons or [], territory=request.territory, again_url=again)
    if not advice:
        advice = [advice_for({"code": "failed"}, again_url=again)]
    return advice
