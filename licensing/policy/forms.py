"""The forms of a name a prompt may write it in, derived once, at registration.

A rightsholder registers "月影レン"; creators write "tsukikage ren", "つきかげれん" or
"ツキカゲレン". ``derive_forms`` returns those forms, each with how it was derived, so
the screening registry can find them without the rightsholder typing every spelling,
and the dashboard can show them (and let a form that is a common word be switched off).

- Japanese (kana or kanji): the reading in romaji, hiragana and katakana (``pykakasi``'s
  dictionary reads kanji). Katakana and hiragana screen alike, as do spaced and joined
  words, so only one of each is kept.
- Latin text that is romaji (it reads back to itself through kana, so "tsukikage" is
  and "captain" is not): hiragana and katakana.
- Long vowels, both ways: "satou", "satoo" and "sato" (and "satō" by normalisation);
  "たろう", "たろお" and "たろー".
- Hangul: the Revised Romanization (``korean-romanizer``). Han without kana: the
  Japanese reading and the pinyin (``pypinyin``), since either may be meant.
- A person's likeness with a name in two or more Latin words: the family name first.

Forms that screen the same as the source (or as each other) are left out, and so is
anything past ``MAX_FORMS`` per source.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from licensing.enums import FormOrigin
from licensing.policy.normalize import normalize

__all__ = ["MAX_FORMS", "DerivedForm", "derive_forms", "forms_for_names"]

MAX_FORMS = 16

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_LATIN_WORDS = re.compile(r"^[a-z]+(?: [a-z]+)*$")

# Romaji long vowels: each spelling stands for the others (the macron is folded to the
# plain vowel by normalisation, so "o" covers "ō").
_LONG_O = re.compile(r"o[ou]|oh(?![aeiouy])")
_LONG_U = re.compile(r"uu")
# Kana long vowels: an o-row or u-row kana followed by う/お/ー.
_O_ROW = "おこごそぞとどのほぼぽもよょろを"
_U_ROW = "うくぐすずつづぬふぶぷむゆゅる"
_KANA_LONG = re.compile(f"(?<=[{_O_ROW}])[うおー]|(?<=[{_U_ROW}])[うー]")


@dataclass(frozen=True)
class DerivedForm:
    text: str
    origin: str  # a FormOrigin value


@functools.cache
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


def _reading(text: str) -> tuple[str, str, str] | None:
    """(romaji, hiragana, katakana) of Japanese ``text``, words separated by spaces;
    None when the dictionary cannot read every character (it skips some Chinese ones)."""
    parts = [p for p in _kakasi().convert(text) if p["orig"].strip()]
    read = "".join(p["orig"] for p in parts if p["hira"].strip())
    if read != "".join(text.split()):
        return None
    romaji = " ".join(p["hepburn"] for p in parts if p["hepburn"].strip())
    hira = " ".join(p["hira"] for p in parts if p["hira"].strip())
    kata = " ".join(p["kana"] for p in parts if p["kana"].strip())
    return romaji, hira, kata


def _romaji_to_kana(words: str) -> tuple[str, str] | None:
    """(hiragana, katakana) of ``words`` when every word is romaji, else None. A word
    is romaji when its kana reads back to it ("captain" becomes かったいん, which reads
    "kattain": not romaji)."""
    import jaconv

    hira_words = []
    for word in words.split():
        hira = jaconv.alphabet2kana(word)
        if not all("\u3041" <= ch <= "\u309f" or ch == "ー" for ch in hira):
            return None
        back = "".join(p["hepburn"] for p in _kakasi().convert(hira))
        if _long_vowels_folded(back) != _long_vowels_folded(word):
            return None
        hira_words.append(hira)
    hira = " ".join(hira_words)
    return hira, jaconv.hira2kata(hira)


def _long_vowels_folded(romaji: str) -> str:
    return _LONG_U.sub("u", _LONG_O.sub("o", romaji))


def _romaji_variants(romaji: str) -> list[str]:
    """Every spelling of the long vowels in ``romaji``: each long o as ou, oo and o,
    each long u as uu and u."""
    pieces = re.split(f"({_LONG_O.pattern}|{_LONG_U.pattern})", romaji)
    variants = [""]
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            variants = [v + piece for v in variants]
            continue
        choices = ("ou", "oo", "o") if piece.startswith("o") else ("uu", "u")
        variants = [v + c for v in variants for c in choices][: MAX_FORMS * 3]
    return variants


def _kana_variants(kana: str) -> list[str]:
    """Each long vowel of hiragana ``kana`` (words separated by spaces) written as う (or
    お after the o-row) and as ー, the words then joined. A vowel that starts a word is
    no long vowel (月野 うさぎ: the う is the rabbit's)."""
    variants = [""]
    for word in kana.split():
        last = 0
        for match in _KANA_LONG.finditer(word):
            before = word[last : match.start()]
            o_row = word[match.start() - 1] in _O_ROW
            choices = ("う", "お", "ー") if o_row else ("う", "ー")
            variants = [v + before + c for v in variants for c in choices][:MAX_FORMS]
            last = match.end()
        variants = [v + word[last:] for v in variants]
    return variants


def _japanese(text: str) -> Iterator[DerivedForm]:
    reading = _reading(text)
    if reading is None:
        return
    romaji, hira, kata = reading
    yield DerivedForm(romaji, FormOrigin.ROMAJI)
    for variant in _romaji_variants(romaji):
        yield DerivedForm(variant, FormOrigin.LONG_VOWEL)
    yield DerivedForm(hira.replace(" ", ""), FormOrigin.HIRAGANA)
    yield DerivedForm(kata.replace(" ", ""), FormOrigin.KATAKANA)
    for variant in _kana_variants(hira):
        yield DerivedForm(variant, FormOrigin.LONG_VOWEL)


def _latin(folded: str, *, likeness: bool) -> Iterator[DerivedForm]:
    words = folded.split()
    if likeness and len(words) >= 2:
        yield DerivedForm(" ".join([words[-1], *words[:-1]]), FormOrigin.NAME_ORDER)
    for variant in _romaji_variants(folded):
        yield DerivedForm(variant, FormOrigin.LONG_VOWEL)
    kana = _romaji_to_kana(folded)
    if kana is not None:
        hira, kata = kana
        yield DerivedForm(hira.replace(" ", ""), FormOrigin.HIRAGANA)
        yield DerivedForm(kata.replace(" ", ""), FormOrigin.KATAKANA)
        for variant in _kana_variants(hira):
            yield DerivedForm(variant, FormOrigin.LONG_VOWEL)


def _korean(text: str) -> Iterator[DerivedForm]:
    from korean_romanizer.romanizer import Romanizer

    romanized = " ".join(Romanizer(word).romanize() for word in text.split())
    yield DerivedForm(romanized, FormOrigin.HANGUL)


def _chinese(text: str) -> Iterator[DerivedForm]:
    from pypinyin import lazy_pinyin

    syllables = [s for s in lazy_pinyin(text) if s.strip()]
    yield DerivedForm(" ".join(syllables), FormOrigin.PINYIN)


def _candidates(text: str, *, likeness: bool) -> Iterator[DerivedForm]:
    folded = normalize(text)
    if _HANGUL.search(folded):
        yield from _korean(folded)
    elif _KANA.search(text):
        yield from _japanese(text)
    elif _HAN.search(folded):
        yield from _japanese(text)
        yield from _chinese(folded)
    elif _LATIN_WORDS.match(folded):
        yield from _latin(folded, likeness=likeness)


def derive_forms(text: str, *, likeness: bool = False) -> list[DerivedForm]:
    """The forms a prompt may write the name or alias ``text`` in, beside ``text``
    itself (which is never among them). ``likeness`` adds the other name order.

    Promises: each form is non-empty and screens differently from ``text`` and from
    every other form returned; at most ``MAX_FORMS``; the same text always gives the
    same forms in the same order.
    """
    seen = {_screen_key(text)}
    forms: list[DerivedForm] = []
    for form in _candidates(text, likeness=likeness):
        key = _screen_key(form.text)
        if not key or key in seen:
            continue
        seen.add(key)
        forms.append(DerivedForm(form.text.strip(), str(form.origin)))
        if len(forms) == MAX_FORMS:
            break
    return forms


def _screen_key(text: str) -> str:
    """Two forms with the same key are found by the same prompts: the registry joins the
    words of a name and folds kana, width and case, so "ツキカゲ レン" and "つきかげれん"
    are one form."""
    return normalize(text).replace(" ", "")


def forms_for_names(
    names: Iterable[tuple[str, str]], *, likeness: bool = False
) -> dict[str, tuple[str, str, str]]:
    """Every form a character's ``names`` ((text, alias mode) pairs, the name first)
    should be screened in: form text -> (source name, origin, mode). An exact-case
    alias gets none (it is registered to match only as written), and no form repeats a
    registered name."""
    sources = [(text, mode) for text, mode in names if mode != "exact_case"]
    registered = {text for text, _ in names}
    wanted: dict[str, tuple[str, str, str]] = {}
    for text, mode in sources:
        for form in derive_forms(text, likeness=likeness):
            if form.text not in registered:
                wanted.setdefault(form.text, (text, form.origin, str(mode)))
    return wanted
