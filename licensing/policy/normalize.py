# Look-alike characters (full-width letters, dotless i) are this module's subject matter.
# ruff: noqa: RUF001, RUF002, RUF003
"""One normal form for prompts and names, so a mention is found however it is written.

``normalize`` folds width (ＨＯＳＨＩ, ﾎｼ), case, invisible format characters, katakana
versus hiragana, Latin diacritics, punctuation and the spacing of CJK text, in the order
the screening automaton expects. Names and prompts must go through the same function
with the same ``casefold`` flag, or they will not meet.

The tables below are derived from ``unicodedata`` once, at import, so that the work per
call is a handful of C-level passes (``str.translate`` and compiled regexes) rather than
a Python loop over characters.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from bisect import bisect_right
from typing import NamedTuple

__all__ = ["is_cjk", "normalize"]

# Han, Hiragana, Katakana and Hangul: the scripts written without spaces between words.
_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3041, 0x309F),  # Hiragana, including the combining voicing marks
    (0x30A1, 0x30FA),  # Katakana letters
    (0x30FC, 0x30FF),  # ー and the katakana iteration marks (not the middle dot ・)
    (0x3130, 0x318F),  # Hangul compatibility Jamo
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK unified ideographs extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA960, 0xA97F),  # Hangul Jamo extended A
    (0xAC00, 0xD7FF),  # Hangul syllables and Jamo extended B
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # half-width katakana
    (0xFFA0, 0xFFDC),  # half-width Hangul
    (0x1B000, 0x1B16F),  # kana supplement and extensions
    (0x20000, 0x3FFFF),  # supplementary ideographic planes
)
_CJK_STARTS = tuple(lo for lo, _ in _CJK_RANGES)
_CJK_ENDS = tuple(hi for _, hi in _CJK_RANGES)

_KATAKANA_TO_HIRAGANA_OFFSET = 0x60
_KATAKANA_FOLDED = range(0x30A1, 0x30F6 + 1)

# Letters drawn with a stroke or a slash have no Unicode decomposition, so no combining
# mark to drop; they are still written for their plain letter in names (Søren, Łukasz).
_LATIN_WITHOUT_DECOMPOSITION = {
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "ħ": "h",
    "Ħ": "H",
    "ŧ": "t",
    "Ŧ": "T",
    "ı": "i",
}

# Invisible characters that are not category Cf but split a name just as well: the
# variation selectors and the combining grapheme joiner.
_INVISIBLE_EXTRA = (
    *range(0x034F, 0x034F + 1),
    *range(0x180B, 0x180F + 1),
    *range(0xFE00, 0xFE0F + 1),
    *range(0xE0100, 0xE01EF + 1),
)


def _class(codepoints: list[int]) -> str:
    """A regex character class body (without brackets) covering exactly ``codepoints``."""
    parts: list[str] = []
    codepoints = sorted(codepoints)
    i = 0
    while i < len(codepoints):
        lo = hi = codepoints[i]
        while i + 1 < len(codepoints) and codepoints[i + 1] == hi + 1:
            i += 1
            hi = codepoints[i]
        parts.append(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}")
        i += 1
    return "".join(parts)


class _Tables(NamedTuple):
    translate: dict[int, str | None]
    lettered_symbols: str
    latin_letters: str
    marks: str


def _build_tables() -> _Tables:
    """Scan the Unicode database once and derive every table ``normalize`` uses.

    The translation table deletes format characters, folds katakana, strips Latin letters
    of their diacritics and turns every separator into a space; the other fields are
    regex class bodies.
    """
    table: dict[int, str | None] = {}
    lettered_symbols: list[int] = []
    latin_letters: list[int] = []
    marks: list[int] = []
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        category = unicodedata.category(ch)
        major = category[0]
        if category == "Cf":
            table[cp] = None
        elif major in "PZ" or category == "Cc":
            table[cp] = " "
        elif major == "S":
            table[cp] = " "
            expanded = unicodedata.normalize("NFKC", ch)
            if len(expanded) > 1 and any(c.isalnum() for c in expanded):
                lettered_symbols.append(cp)
        elif cp > 0xFFFF:
            # The mark and Latin classes stay in the BMP, where the regex engine tests
            # them with a bitmap; past it, the engine walks hundreds of ranges per
            # character. The astral Latin letters and marks are phonetic and historic.
            continue
        elif major == "M":
            marks.append(cp)
        elif major == "L" and unicodedata.name(ch, "").startswith("LATIN "):
            latin_letters.append(cp)
            decomposed = unicodedata.normalize("NFD", ch)
            if len(decomposed) > 1:
                base = "".join(c for c in decomposed if not unicodedata.combining(c))
                if base and base != ch:
                    table[cp] = unicodedata.normalize("NFC", base)
    for cp in _INVISIBLE_EXTRA:
        table[cp] = None
    for cp in _KATAKANA_FOLDED:
        table[cp] = chr(cp - _KATAKANA_TO_HIRAGANA_OFFSET)
    for letter, plain in _LATIN_WITHOUT_DECOMPOSITION.items():
        table[ord(letter)] = plain
    return _Tables(
        translate=table,
        lettered_symbols=_class(lettered_symbols),
        latin_letters=_class(latin_letters),
        marks=_class(marks),
    )


_TABLES = _build_tables()
_TABLE = _TABLES.translate
_LETTERED_SYMBOLS = re.compile(f"[{_TABLES.lettered_symbols}]")
_MARK = re.compile(f"[{_TABLES.marks}]")
# Marks NFKC could not compose onto a Latin base (q̃, or a mark that a deleted format
# character kept apart from its letter).
_LATIN_MARKS = re.compile(f"([{_TABLES.latin_letters}])[{_TABLES.marks}]+")
_CJK_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _CJK_RANGES)
_CJK_SPACE = re.compile(f"(?<=[{_CJK_CLASS}]) (?=[{_CJK_CLASS}])")
# In ASCII every non-alphanumeric character is punctuation, a symbol, a space or a
# control character, so this is the separator class restricted to ASCII.
_ASCII_SEPARATORS = re.compile(r"[^0-9A-Za-z]+")
del _TABLES


def is_cjk(ch: str) -> bool:
    """Whether the single character ``ch`` is Han, Hiragana, Katakana or Hangul."""
    cp = ord(ch)
    i = bisect_right(_CJK_STARTS, cp) - 1
    return i >= 0 and cp <= _CJK_ENDS[i]


def normalize(text: str, *, casefold: bool = True) -> str:
    """Return the screening form of ``text``.

    Promises: the result is NFC; it is case-folded when ``casefold`` is true and keeps
    the case of the NFKC form otherwise; it holds no format characters (Cf) or variation
    selectors; katakana U+30A1..U+30F6 are folded to hiragana (ー and the voicing marks
    are kept, so ガ becomes が, never か); Latin letters carry no diacritics; every run of
    punctuation, symbols, controls and whitespace is one space, with none at either end;
    and no space remains between two CJK characters.
    """
    if text.isascii():
        # NFKC, format characters, kana, diacritics and CJK spacing are all no-ops here.
        if casefold:
            text = text.lower()
        return _ASCII_SEPARATORS.sub(" ", text).strip()
    # NFKC turns ™ and ㎏ into letters that would glue onto the word before them
    # ("Pokémon™" -> "pokemontm"), so such symbols are set apart first.
    text = _LETTERED_SYMBOLS.sub(r" \g<0> ", text)
    text = unicodedata.normalize("NFKC", text)
    if casefold:
        text = text.casefold()
    # One pass deletes format characters, folds katakana, strips precomposed Latin
    # diacritics and turns punctuation, symbols and whitespace into spaces.
    text = text.translate(_TABLE)
    if _MARK.search(text):
        text = _LATIN_MARKS.sub(r"\1", text)
    # split() without an argument collapses runs of spaces and trims both ends.
    text = _CJK_SPACE.sub("", " ".join(text.split()))
    # Deleting a format character or a space can bring a kana next to a combining
    # voicing mark it was kept from ("か゛" -> "か" U+3099), which NFC joins into "が".
    return unicodedata.normalize("NFC", text)
