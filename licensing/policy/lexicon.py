"""Content categories and banned phrases, found in a prompt the way names are.

``CATEGORY_LEXICON`` maps each content category an offer may restrict to the words that
suggest it. A hit is a signal for the policy engine, not a verdict: "shoot" also means a
photo shoot, "sake" a purpose. Both lexicon and phrase lists go through ``Registry``, so
they get the same normalisation and word boundaries as character names.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from licensing.policy.screening import Entry, Registry

__all__ = ["CATEGORY_LEXICON", "categories_in", "phrases_in"]

# Kept in code, reviewed like code: extend a tuple here when a category misses a word.
# Japanese words match inside longer words (no word boundaries in CJK), so prefer ones
# that do not turn up inside harmless words.
CATEGORY_LEXICON: dict[str, tuple[str, ...]] = {
    "violence": (
        "kill",
        "kills",
        "killed",
        "killing",
        "murder",
        "stab",
        "stabbing",
        "blood",
        "bloody",
        "gore",
        "shoot",
        "shooting",
        "massacre",
        "torture",
        "behead",
        "decapitate",
        "corpse",
        "dismember",
        "殺す",
        "殺人",
        "血",
        "暴力",
        "死体",
    ),
    "sexual": (
        "sex",
        "sexual",
        "sexy",
        "nude",
        "nudity",
        "naked",
        "porn",
        "pornographic",
        "erotic",
        "nsfw",
        "topless",
        "lingerie",
        "fetish",
        "hentai",
        "explicit",
        "全裸",
        "裸体",
        "性的",
        "アダルト",
        "ヌード",
    ),
    "hate": (
        "hate speech",
        "racial slur",
        "slur",
        "nazi",
        "neo nazi",
        "white supremacy",
        "supremacist",
        "ethnic cleansing",
        "genocide",
        "kkk",
        "antisemitic",
        "homophobic",
        "racist",
        "差別",
        "ヘイト",
    ),
    "politics": (
        "election",
        "elections",
        "president",
        "prime minister",
        "campaign rally",
        "vote",
        "voting",
        "ballot",
        "senator",
        "congress",
        "parliament",
        "political party",
        "democrat",
        "republican",
        "protest",
        "選挙",
        "首相",
        "大統領",
        "政治",
        "政党",
    ),
    "drugs_weapons": (
        "cocaine",
        "heroin",
        "meth",
        "methamphetamine",
        "marijuana",
        "cannabis",
        "weed",
        "drug dealer",
        "overdose",
        "gun",
        "guns",
        "rifle",
        "pistol",
        "firearm",
        "bomb",
        "explosive",
        "grenade",
        "ammunition",
        "麻薬",
        "覚醒剤",
        "大麻",
        "銃",
        "爆弾",
    ),
    "alcohol": (
        "alcohol",
        "beer",
        "wine",
        "sake",
        "vodka",
        "whisky",
        "whiskey",
        "tequila",
        "cocktail",
        "booze",
        "drunk",
        "hangover",
        "酒",
        "ビール",
        "飲酒",
        "酔っ払い",
    ),
    "defamation": (
        "scandal",
        "fraud",
        "criminal",
        "arrested",
        "corrupt",
        "corruption",
        "affair",
        "liar",
        "fake news",
        "leaked",
        "exposed",
        "不倫",
        "逮捕",
        "詐欺",
        "スキャンダル",
    ),
}


@functools.cache
def _category_registry() -> Registry:
    """The lexicon as a registry whose character ids are category names, built once."""
    return Registry(
        Entry(character_id=category, text=word)
        for category, words in CATEGORY_LEXICON.items()
        for word in words
    )


@functools.lru_cache(maxsize=1024)
def _phrase_registry(phrases: tuple[str, ...]) -> Registry:
    """A registry for one list of phrases; offers reuse their lists, so it is cached."""
    return Registry(Entry(character_id=phrase, text=phrase) for phrase in phrases)


def categories_in(prompt: str) -> dict[str, list[str]]:
    """The categories ``prompt`` touches, each with the lexicon words found for it.

    Promises: only categories with at least one hit are keys, in ``CATEGORY_LEXICON``
    order; words are listed as written in the lexicon, once each, in order of first
    appearance in the prompt.
    """
    found: dict[str, list[str]] = {}
    for mention in _category_registry().screen(prompt):
        found.setdefault(mention.character_id, []).append(mention.alias)
    return {category: found[category] for category in CATEGORY_LEXICON if category in found}


def phrases_in(prompt: str, phrases: Iterable[str]) -> list[str]:
    """Which of ``phrases`` occur in ``prompt``, as given, once each, in order of first
    appearance; phrases that normalise to nothing never match."""
    # Sorted and deduplicated so that one list in any order shares one cached matcher.
    key = tuple(sorted(set(phrases)))
    if not key:
        return []
    return [mention.alias for mention in _phrase_registry(key).screen(prompt)]
