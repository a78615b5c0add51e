"""License terms in plain language: the short sentences a creator reads before accepting.

Pure functions over ``Terms``; no database. Sentences come in a fixed order (what you may
do, who may use it, content rules, credit, where, when, caps, money, obligations) and a
term left at a value that restricts nothing produces no sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import pycountry

from core.money import format_bps, format_minor
from licensing.terms import Terms

CATEGORY_NAMES = {
    "violence": "violence",
    "sexual": "sexual content",
    "hate": "hate speech",
    "politics": "politics",
    "drugs_weapons": "drugs or weapons",
    "alcohol": "alcohol",
    "defamation": "defamation",
}
ACTION_VERBS = {"generate": "generate", "remix": "remix", "publish": "publish"}
MAX_WORDS_SHOWN = 5

# pycountry's names are ISO's ("Korea, Republic of"); these read better in a sentence.
_COUNTRY_NAMES = {
    "US": "the United States",
    "GB": "the United Kingdom",
    "AE": "the United Arab Emirates",
    "NL": "the Netherlands",
    "PH": "the Philippines",
    "CD": "the Democratic Republic of the Congo",
    "CG": "the Republic of the Congo",
    "RU": "Russia",
    "BN": "Brunei",
    "PS": "Palestine",
    "VA": "Vatican City",
    "FK": "the Falkland Islands",
    "FM": "Micronesia",
    "VG": "the British Virgin Islands",
    "VI": "the US Virgin Islands",
}


def country_name(code: str) -> str:
    if code in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


def summary_points(
    terms: Terms,
    *,
    kind: str,
    rightsholder: str,
    costar_names: Mapping[str, str] | None = None,
) -> list[str]:
    """The terms as short sentences, in reading order. ``kind`` is "character" or
    "likeness"; ``costar_names`` maps banned co-star ids to display names."""
    noun = f"this {kind}"
    points = [
        _actions(terms, noun),
        *_audience(terms, noun, rightsholder),
        *_content_rules(terms, noun, costar_names or {}),
    ]
    if terms.attribution_required:
        points.append(f"Credit '{terms.credit_text.strip() or rightsholder}'.")
    points.append(_territories(terms))
    points.append(_window(terms.starts_at, terms.ends_at))
    points.extend(_caps(terms))
    if terms.upfront_fee:
        points.append(f"A one-time fee of {format_minor(terms.upfront_fee, terms.currency)}.")
    if terms.per_generation_fee:
        points.append(f"{format_minor(terms.per_generation_fee, terms.currency)} per video.")
    if terms.rev_share_bps:
        points.append(f"{format_bps(terms.rev_share_bps)} of revenue goes to the rightsholder.")
    if terms.allows_remix and terms.remix_policy == "same_terms":
        points.append("Remixes must carry the same terms.")
    if terms.ai_training == "not_allowed":
        points.append("The output may not be used to train AI models.")
    points.append(_on_revoke(terms))
    return [point for point in points if point]


def summarize(
    terms: Terms,
    *,
    kind: str,
    rightsholder: str,
    costar_names: Mapping[str, str] | None = None,
) -> str:
    """``summary_points`` as one paragraph."""
    return " ".join(
        summary_points(terms, kind=kind, rightsholder=rightsholder, costar_names=costar_names)
    )


def price_points(
    *, upfront_fee: int, per_generation_fee: int, rev_share_bps: int, currency: str
) -> list[str]:
    """Every price term, zero ones included, in the order price protection states them:
    upfront fee, fee per video, revenue share. Both an offer's prices and the most a
    grant's creator agreed to pay read this way."""
    return [
        f"{format_minor(upfront_fee, currency)} upfront",
        f"{format_minor(per_generation_fee, currency)} per video",
        f"{format_bps(rev_share_bps)} revenue share",
    ]


# --- one helper per group of sentences ---------------------------------------------------


def _actions(terms: Terms, noun: str) -> str:
    verbs = [ACTION_VERBS[a] for a in ACTION_VERBS if a in terms.allowed_actions]
    export = ", and export the videos" if "export" in terms.allowed_actions else ""
    if not verbs:
        return "You may export the videos." if export else ""
    videos = "commercial and non-commercial" if terms.commercial_use else "non-commercial"
    return f"You may {_join(verbs, 'and')} {noun} in {videos} videos{export}."


def _audience(terms: Terms, noun: str, rightsholder: str) -> list[str]:
    who = {
        "public": f"Anyone may use {noun}",
        "self": f"Only {rightsholder} may use {noun}",
        "approved": f"Only people {rightsholder} approves may use {noun}",
        "followers": f"Only followers of {rightsholder} may use {noun}",
        "mutuals": f"Only mutual followers of {rightsholder} may use {noun}",
    }.get(terms.audience, f"Only some people may use {noun}")
    if terms.approval == "per_licensee" and terms.audience not in ("approved", "self"):
        who += f"; {rightsholder} must approve each creator first"
    elif terms.approval == "per_work":
        who += "; each video is reviewed before it is published"
    points = [who + "."]
    allowed = len(terms.audience_allowlist)
    if allowed and terms.audience != "public":
        people = "1 more person" if allowed == 1 else f"{allowed} more people"
        points.append(f"{people} chosen by {rightsholder} may use it too.")
    if terms.approval == "per_work":
        points.append(
            f"A video not reviewed within {_hours(terms.approval_deadline_hours)} is refused."
        )
    return points


def _content_rules(terms: Terms, noun: str, costar_names: Mapping[str, str]) -> list[str]:
    points = []
    categories = [CATEGORY_NAMES.get(c, c.replace("_", " ")) for c in terms.banned_categories]
    if categories:
        points.append(f"No {_join(_unique(categories), 'or')}.")
    words = _unique(w.strip() for w in terms.banned_words if w.strip())
    if words:
        shown = [f"'{w}'" for w in words[:MAX_WORDS_SHOWN]]
        rest = len(words) - len(shown)
        listed = ", ".join(shown) + f" and {rest} more" if rest else _join(shown, "and")
        points.append(f"Some words are not allowed: {listed}.")
    costars = _unique(terms.banned_costars)
    if costars:
        named = [costar_names[c] for c in costars if costar_names.get(c)]
        unnamed = len(costars) - len(named)
        if unnamed == 1:
            named.append("another character")
        elif unnamed:
            named.append(f"{unnamed} other characters")
        points.append(f"{noun[0].upper()}{noun[1:]} must not appear with {_join(named, 'or')}.")
    if terms.max_rating == "all_ages":
        points.append("Videos must be suitable for all ages.")
    elif terms.max_rating == "teen":
        points.append("No mature content.")
    return points


def _territories(terms: Terms) -> str:
    if not terms.territories:
        return ""
    names = _join([country_name(code) for code in _unique(terms.territories)], "and")
    return f"Only in {names}." if terms.territory_mode == "allow" else f"Not in {names}."


def _window(starts_at: datetime | None, ends_at: datetime | None) -> str:
    if starts_at and ends_at:
        return f"From {_date(starts_at)} until {_date(ends_at)}."
    if starts_at:
        return f"From {_date(starts_at)}."
    if ends_at:
        return f"Until {_date(ends_at)}."
    return ""


def _caps(terms: Terms) -> list[str]:
    points = []
    if terms.max_generations_per_licensee:
        videos = _plural(terms.max_generations_per_licensee, "video")
        points.append(f"At most {videos} per creator.")
    if terms.max_licensees:
        points.append(f"Limited to {_plural(terms.max_licensees, 'creator')}.")
    if terms.max_works:
        points.append(f"At most {_plural(terms.max_works, 'video')} in total.")
    return points


def _on_revoke(terms: Terms) -> str:
    outcome = {"delist": "unpublished", "delete": "deleted"}.get(terms.on_revoke)
    if outcome is None:
        return ""
    when = f"after {_plural(terms.grace_days, 'day')}" if terms.grace_days else "at once"
    return f"If the licence is revoked, your videos are {outcome} {when}."


# --- wording ------------------------------------------------------------------------------


def _join(items: Sequence[str], conjunction: str) -> str:
    """One item, "a and b", or "a, b and c" (no serial comma)."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _hours(hours: int) -> str:
    return _plural(hours // 24, "day") if hours % 24 == 0 else _plural(hours, "hour")


def _date(moment: datetime) -> str:
    # The date as written in the terms' own time zone: the creator sees what was set.
    return f"{moment.day} {moment:%b %Y}"
