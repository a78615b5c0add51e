"""Find every registered character a prompt mentions, by name or alias.

A ``Registry`` holds the names and aliases of every character (100,000 and more) in two
Aho-Corasick automata over the ``normalize`` form: one case-folded, for ordinary names,
and one case-preserving, for short or common aliases that only count when capitalised
("Link", not "a link"). A scan costs time in the length of the prompt, not in the number
of names, so the registry can be built once per process and asked on every prompt.

Word boundaries hold for Latin script and not for CJK, which is written without spaces:
"link" is not found in "unlinked", while "ほしちゃん" is found in "ほしちゃんがすき".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

import ahocorasick

from licensing.policy.normalize import is_cjk, normalize

__all__ = ["MODES", "Entry", "Mention", "Registry"]

MODES = ("normal", "exact_case", "review")


@dataclass(frozen=True)
class Entry:
    """One name or alias of a character, and how a mention of it is matched.

    ``normal`` matches regardless of case; ``exact_case`` matches only with the case as
    registered (after width folding); ``review`` matches like ``normal`` but the caller
    flags the prompt for review rather than refusing it.
    """

    character_id: str
    text: str
    mode: str = "normal"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")


@dataclass(frozen=True)
class Mention:
    """A registered name found in a prompt.

    ``alias`` is the text as registered, so a refusal can quote it. ``start`` and ``end``
    (exclusive) index the normalised prompt the alias was found in: the case-folded form
    for ``normal`` and ``review`` entries, the case-preserving form for ``exact_case``.
    """

    character_id: str
    alias: str
    mode: str
    start: int
    end: int


# What an automaton stores per normalised term: its length, whether each end must fall
# on a word boundary, and every (character_id, alias, mode) registered under it.
_Target = tuple[str, str, str]
_Payload = tuple[int, bool, bool, tuple[_Target, ...]]
# (start, end, targets) of one accepted match.
_Hit = tuple[int, int, tuple[_Target, ...]]


def _is_word_char(ch: str) -> bool:
    """Whether ``ch`` continues a Latin-script word, so a match may not end beside it."""
    return ch.isalnum() and not is_cjk(ch)


def _build(terms: dict[str, list[_Target]]) -> ahocorasick.Automaton | None:
    """An automaton mapping each normalised term to its payload; None when empty."""
    if not terms:
        return None
    automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
    for term, targets in terms.items():
        payload: _Payload = (
            len(term),
            not is_cjk(term[0]),
            not is_cjk(term[-1]),
            tuple(targets),
        )
        automaton.add_word(term, payload)
    automaton.make_automaton()
    return automaton


def _scan(automaton: ahocorasick.Automaton, text: str, hits: list[_Hit]) -> None:
    """Append to ``hits`` every match of ``automaton`` in ``text`` that sits on its
    word boundaries, overlapping matches included."""
    last = len(text) - 1
    for end, (length, check_start, check_end, targets) in automaton.iter(text):
        start = end - length + 1
        if check_start and start > 0 and _is_word_char(text[start - 1]):
            continue
        if check_end and end < last and _is_word_char(text[end + 1]):
            continue
        hits.append((start, end + 1, targets))


class Registry:
    """The names and aliases of every character, ready to screen prompts.

    Building normalises every entry and compiles the automata, which takes a second or
    so for 100,000 entries; build once and rebuild when ``version`` moves on. A built
    registry is never modified, so threads may share it.
    """

    def __init__(self, entries: Iterable[Entry], *, version: int = 0) -> None:
        self.version = version
        folded: dict[str, list[_Target]] = {}
        exact: dict[str, list[_Target]] = {}
        kept: set[Entry] = set()
        for entry in entries:
            if entry in kept:
                continue
            case_sensitive = entry.mode == "exact_case"
            term = normalize(entry.text, casefold=not case_sensitive)
            if not term:
                continue
            kept.add(entry)
            terms = exact if case_sensitive else folded
            terms.setdefault(term, []).append((entry.character_id, entry.text, entry.mode))
        self._size = len(kept)
        self._folded = _build(folded)
        self._exact = _build(exact)

    def __len__(self) -> int:
        """The number of distinct entries kept (those that normalise to something)."""
        return self._size

    def __repr__(self) -> str:
        return f"<Registry version={self.version} entries={self._size}>"

    def screen(self, prompt: str) -> list[Mention]:
        """Every registered name or alias ``prompt`` mentions.

        Promises: one ``Mention`` per (character_id, alias), at its first occurrence,
        ordered by where that occurrence starts; every character sharing a matched alias
        is reported; Latin-script ends of a match sit on word boundaries.
        """
        hits: list[_Hit] = []
        if self._folded is not None:
            _scan(self._folded, normalize(prompt), hits)
        if self._exact is not None:
            _scan(self._exact, normalize(prompt, casefold=False), hits)
        # A stable sort keeps the automaton's order (shorter first) among equal starts.
        hits.sort(key=itemgetter(0))
        mentions: list[Mention] = []
        seen: set[tuple[str, str]] = set()
        for start, end, targets in hits:
            for character_id, alias, mode in targets:
                key = (character_id, alias)
                if key not in seen:
                    seen.add(key)
                    mentions.append(Mention(character_id, alias, mode, start, end))
        return mentions
