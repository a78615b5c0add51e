# Look-alike letters from other scripts are this module's subject matter.
# ruff: noqa: RUF002
"""The skeleton of a text: what it looks like, whatever letters it is written with.

``Сaptain`` (a Cyrillic С), ``C4pt41n`` and ``Captain`` have one skeleton, ``captain``.
The look-alike letters come from Unicode's confusables list (UTS #39), as the
``confusable-homoglyphs`` package keeps it: every single letter of another script that
is confusable with a Latin letter or digit is written as that letter. Then the digits
and letters that stand in for each other in disguised names are folded together:
0 → o, 1 and l → i, 3 → e, 4 → a, 5 → s, 7 → t (and @ → a, $ → s inside a word,
before normalisation would turn them into spaces).

``skeleton_table`` maps one character to one character, so a skeleton has the length of
its input and a match in it can be quoted from the input.
"""

from __future__ import annotations

import functools
import re
import string

from licensing.policy.normalize import is_cjk

__all__ = ["skeleton_table", "spell_symbols"]

_ASCII_FOLDS = {"0": "o", "1": "i", "l": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
_TARGETS = set(string.ascii_letters + string.digits)
# A symbol written for a letter: between letters, or at a word's edge next to one.
_SYMBOL_FOR_LETTER = re.compile(r"(?<=[^\W\d_])[@$]|[@$](?=[^\W\d_])")


def _fold(ch: str) -> str:
    lower = ch.lower()
    return _ASCII_FOLDS.get(lower, lower)


@functools.cache
def skeleton_table() -> dict[int, str]:
    """A ``str.translate`` table from look-alike letters (of any case: the input is
    lower-cased) and stand-in digits to the lower-case ASCII letter they imitate."""
    from confusable_homoglyphs.confusables import confusables_data

    table: dict[int, str] = {ord(k): v for k, v in _ASCII_FOLDS.items()}
    for target, homoglyphs in confusables_data.items():
        if target not in _TARGETS:
            continue
        for homoglyph in homoglyphs:
            glyph = homoglyph["c"].strip("\u200e\u200f")
            if len(glyph) != 1 or glyph.isascii() or is_cjk(glyph):
                continue
            for form in {glyph, glyph.lower()}:
                if len(form) == 1 and not form.isascii():
                    table.setdefault(ord(form), _fold(target))
    return table


def spell_symbols(text: str) -> str:
    """``text`` with @ and $ written as the letters they stand for inside words
    ("N@mi", "$onic"); a lone @ or $ is left to be punctuation."""
    if "@" not in text and "$" not in text:
        return text
    return _SYMBOL_FOR_LETTER.sub(lambda m: "a" if m.group() == "@" else "s", text)
