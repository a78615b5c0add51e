"""Find every registered character a prompt mentions, by name, alias or derived form,
however the prompt disguises it.

A ``Registry`` holds the names, aliases and derived forms of every character (100,000
and more) in Aho-Corasick automata, so a scan costs time in the length of the prompt,
not in the number of names; it is built once per process and asked on every prompt.

Ordinary entries are matched on the *joined skeleton* of the prompt:

1. ``normalize`` folds width, kana, diacritics and invisible characters, and turns
   punctuation into spaces ("H.o.s.h.i-chan" -> "h o s h i chan");
2. the skeleton folds look-alike letters of other scripts and stand-in digits to the
   Latin letter they imitate (a Cyrillic C in "Captain", or "C4pt41n" -> "captain");
3. the words are joined, remembering where each began: a name matches only from a word
   start to a word end, so "CaptainNami" and "Captain Nami" both match "Captain Nami",
   and "Namibia" does not match "Nami". A run of single letters ("C a p t a i n") counts
   as one word (after a leading "a" or "I"), so spaced letters match a name only when
   they spell all of it;
4. a Latin name may end in a plural or possessive s ("Sonics", "Namis"), or "es" after
   s, x, z, ch or sh.

Aliases in ``exact_case`` mode keep the stricter older rule: the case-preserving
normal form, word boundaries, no skeleton ("Link", not "a link" or "L1nk").

Word boundaries hold for Latin script and not for CJK, which is written without spaces:
"link" is not found in "unlinked", while "ほしちゃん" is found in "ほしちゃんがすき".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

import ahocorasick

from licensing.policy.normalize import is_cjk, normalize
from licensing.policy.skeleton import skeleton_table, spell_symbols

__all__ = ["MODES", "WATCHLIST_PREFIX", "Entry", "Mention", "Registry", "joined_skeleton"]

MODES = ("normal", "exact_case", "review")

# Watchlist entries are screened like characters under ids with this prefix.
WATCHLIST_PREFIX = "watch:"

# A prompt is screened over at most this many characters after normalisation: the
# services refuse longer prompts, and this bounds the work on any other caller.
MAX_SCREENED_CHARS = 20_000


@dataclass(frozen=True)
class Entry:
    """One form of a character's name, and how a mention of it is matched.

    ``text`` is what is matched. ``source`` is the registered name or alias the form was
    derived from (empty: ``text`` itself is registered), and ``origin`` how it was
    derived (a ``FormOrigin`` value, or empty).

    ``normal`` matches regardless of case and disguise; ``exact_case`` matches only with
    the case as registered (after width folding); ``review`` matches like ``normal`` but
    the caller flags the prompt for review rather than refusing it.
    """

    character_id: str
    text: str
    mode: str = "normal"
    source: str = ""
    origin: str = ""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")


@dataclass(frozen=True)
class Mention:
    """A registered name found in a prompt.

    ``alias`` is the name or alias as registered, so a refusal can quote it; ``form``
    the form that matched (the alias itself, or a form derived from it, with
    ``origin`` saying how). ``start`` and ``end`` (exclusive) index the normalised
    prompt, and ``matched`` is that part of it: how the prompt wrote the name.
    """

    character_id: str
    alias: str
    mode: str
    start: int
    end: int
    form: str = ""
    origin: str = ""
    matched: str = ""

    @property
    def disguised(self) -> bool:
        """Whether the prompt wrote the name other than as a registered form spells it
        (look-alike letters, digits, separators, joined words)."""
        return bool(self.matched) and _plain(self.matched) != _plain(self.form or self.alias)


def _plain(text: str) -> str:
    return normalize(text).replace(" ", "")


# A target is one registered form: (character_id, alias, mode, form, origin).
_Target = tuple[str, str, str, str, str]
# Per automaton key: its length, whether each end must fall on a word boundary, whether
# a plural s / es may follow, and every target registered under it.
_Payload = tuple[int, bool, bool, int, tuple[_Target, ...]]
# (start, end, targets) of one accepted match, in normalised-prompt coordinates.
_Hit = tuple[int, int, tuple[_Target, ...]]

_NO_PLURAL, _PLURAL_S, _PLURAL_ES = 0, 1, 2
_ONE_LETTER_WORDS = frozenset("ai")


class _Joined(NamedTuple):
    """A text's words joined, with where each word (or run of single letters) begins."""

    text: str  # the joined skeleton
    raw: str  # the joined normalised text, letter for letter
    offsets: list[int]  # joined index -> index in ``source``
    boundary: bytearray  # 1 where a word starts or ends, len(text) + 1 entries
    source: str  # the normalised text


def _is_word_char(ch: str) -> bool:
    """Whether ``ch`` continues a Latin-script word, so a match may not end beside it."""
    return ch.isalnum() and not is_cjk(ch)


def _join(text: str) -> _Joined:
    """Normalise, skeletonise and join ``text`` (see the module's steps 1 to 3)."""
    source = normalize(spell_symbols(text[: MAX_SCREENED_CHARS * 2]))[:MAX_SCREENED_CHARS]
    source = source.lower()
    pieces: list[str] = []
    offsets: list[int] = []
    boundary = bytearray()
    position = 0
    words = [word for word in source.split(" ") if word]
    single = [len(word) == 1 and _is_word_char(word) for word in words]
    for n, word in enumerate(words):
        boundary.append(1 if _starts_a_word(words, single, n) else 0)
        boundary.extend(b"\x00" * (len(word) - 1))
        offsets.extend(range(position, position + len(word)))
        pieces.append(word)
        position += len(word) + 1
    boundary.append(1)
    raw = "".join(pieces)
    return _Joined(raw.translate(skeleton_table()), raw, offsets, boundary, source)


def _starts_a_word(words: list[str], single: list[bool], n: int) -> bool:
    """Whether a word starts at ``words[n]`` in the joined text. Inside a run of single
    letters none does, except next to an article or pronoun at either end of the run
    ("a H o s h i", "c h a n A cinematic shot")."""
    if not (single[n] and n and single[n - 1]):
        return True
    opens = words[n - 1] in _ONE_LETTER_WORDS and not (n >= 2 and single[n - 2])
    closes = words[n] in _ONE_LETTER_WORDS and not (n + 1 < len(words) and single[n + 1])
    return opens or closes


def joined_skeleton(text: str) -> str:
    """The form a registered name is matched in: its joined skeleton."""
    return _join(text).text


def _at_boundary(joined: _Joined, position: int) -> bool:
    if joined.boundary[position]:
        return True
    text = joined.raw
    return is_cjk(text[position - 1]) or is_cjk(text[position])


def _plural_kind(key: str) -> int:
    if not key or is_cjk(key[-1]) or not key[-1].isalpha():
        return _NO_PLURAL
    if key.endswith(("s", "x", "z", "ch", "sh")):
        return _PLURAL_ES
    return _PLURAL_S


def _build(terms: dict[str, list[_Target]], *, joined: bool) -> ahocorasick.Automaton | None:
    """An automaton mapping each key to its payload; None when empty."""
    if not terms:
        return None
    automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
    for key, targets in terms.items():
        payload: _Payload = (
            len(key),
            not is_cjk(key[0]),
            not is_cjk(key[-1]),
            _plural_kind(key) if joined else _NO_PLURAL,
            tuple(dict.fromkeys(targets)),
        )
        automaton.add_word(key, payload)
    automaton.make_automaton()
    return automaton


def _scan_joined(automaton: ahocorasick.Automaton, joined: _Joined, hits: list[_Hit]) -> None:
    """Append every match of ``automaton`` in the joined skeleton that starts at a word
    start and ends at a word end (or before a plural ending), in normalised-prompt
    coordinates. A match of digits alone ("130" for "Leo") is not a name."""
    text, raw, offsets = joined.text, joined.raw, joined.offsets
    size = len(text)
    for last, (length, check_start, check_end, plural, targets) in automaton.iter(text):
        start, end = last - length + 1, last + 1
        if check_start and not _at_boundary(joined, start):
            continue
        if check_end and not _at_boundary(joined, end):
            if plural and end < size and text[end] == "s" and _at_boundary(joined, end + 1):
                end += 1
            elif (
                plural == _PLURAL_ES
                and text[end : end + 2] == "es"
                and end + 2 <= size
                and _at_boundary(joined, end + 2)
            ):
                end += 2
            else:
                continue
        if not any(ch.isalpha() for ch in raw[start:end]):
            continue
        hits.append((offsets[start], offsets[end - 1] + 1, targets))


def _scan_exact(automaton: ahocorasick.Automaton, text: str, hits: list[_Hit]) -> None:
    """Append every match of ``automaton`` in ``text`` that sits on its word boundaries,
    overlapping matches included."""
    last = len(text) - 1
    for end, (length, check_start, check_end, _plural, targets) in automaton.iter(text):
        start = end - length + 1
        if check_start and start > 0 and _is_word_char(text[start - 1]):
            continue
        if check_end and end < last and _is_word_char(text[end + 1]):
            continue
        hits.append((start, end + 1, targets))


class Registry:
    """The names, aliases and derived forms of every character, ready to screen prompts.

    Building skeletonises every entry and compiles the automata, which takes seconds for
    100,000 characters; build once and rebuild when ``version`` moves on. A built
    registry is never modified, so threads may share it.
    """

    def __init__(self, entries: Iterable[Entry], *, version: int = 0) -> None:
        self.version = version
        joined: dict[str, list[_Target]] = {}
        exact: dict[str, list[_Target]] = {}
        kept: set[Entry] = set()
        for entry in entries:
            if entry in kept:
                continue
            if entry.mode == "exact_case":
                key, terms = normalize(entry.text, casefold=False), exact
            else:
                key, terms = joined_skeleton(entry.text), joined
            if not key:
                continue
            kept.add(entry)
            alias = entry.source or entry.text
            target = (entry.character_id, alias, entry.mode, entry.text, entry.origin)
            terms.setdefault(key, []).append(target)
        self._size = len(kept)
        self._joined = _build(joined, joined=True)
        self._exact = _build(exact, joined=False)

    def __len__(self) -> int:
        """The number of distinct entries kept (those that normalise to something)."""
        return self._size

    def __repr__(self) -> str:
        return f"<Registry version={self.version} entries={self._size}>"

    def screen(self, prompt: str) -> list[Mention]:
        """Every registered name, alias or derived form ``prompt`` mentions.

        Promises: one ``Mention`` per (character_id, alias), at its first occurrence,
        ordered by where that occurrence starts; every character sharing a matched form
        is reported; Latin-script ends of a match sit on word boundaries (a plural or
        possessive s aside); the work is linear in the prompt's length, which is cut at
        ``MAX_SCREENED_CHARS``.
        """
        hits: list[_Hit] = []
        quoted = ""
        if self._joined is not None:
            joined = _join(prompt)
            quoted = joined.source
            _scan_joined(self._joined, joined, hits)
        exact_text = ""
        if self._exact is not None:
            exact_text = normalize(prompt[: MAX_SCREENED_CHARS * 2], casefold=False)
            exact_text = exact_text[:MAX_SCREENED_CHARS]
            exact_hits: list[_Hit] = []
            _scan_exact(self._exact, exact_text, exact_hits)
            hits += [(s, e, t) for s, e, t in exact_hits]
        # A stable sort keeps the automaton's order (shorter first) among equal starts.
        hits.sort(key=itemgetter(0))
        mentions: list[Mention] = []
        seen: set[tuple[str, str]] = set()
        for start, end, targets in hits:
            for character_id, alias, mode, form, origin in targets:
                key = (character_id, alias)
                if key in seen:
                    continue
                seen.add(key)
                text = exact_text if mode == "exact_case" else quoted
                mentions.append(
                    Mention(character_id, alias, mode, start, end, form, origin, text[start:end])
                )
        return mentions
