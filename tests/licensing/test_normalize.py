import pytest

from licensing.policy.normalize import is_cjk, normalize


def test_latin_diacritics_are_removed():
    assert normalize("Pokémon") == "pokemon"
    assert normalize("Ñandú Müller") == "nandu muller"


def test_latin_letters_without_decomposition_are_folded_to_their_plain_letter():
    assert normalize("Søren Łukasz") == "soren lukasz"


def test_combining_mark_that_cannot_compose_is_dropped_from_a_latin_letter():
    assert normalize("q\u0303uinn") == "quinn"


def test_full_width_latin_is_folded_to_ascii():
    assert normalize("ＨＯＳＨＩ") == "hoshi"


def test_half_width_katakana_becomes_hiragana():
    assert normalize("ﾎｼ") == "ほし"


def test_katakana_is_folded_to_hiragana():
    assert normalize("ホシノ") == "ほしの"


def test_prolonged_sound_mark_is_kept():
    assert normalize("ソーダ") == "そーだ"


def test_kanji_are_unchanged():
    assert normalize("星野") == "星野"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ガ", "が"), ("パ", "ぱ"), ("ｶﾞ", "が"), ("ﾊﾟ", "ぱ"), ("が", "が"), ("ヴ", "ゔ")],
)
def test_kana_voicing_marks_are_preserved(text, expected):
    assert normalize(text) == expected


def test_spacing_voicing_mark_joins_the_kana_before_it():
    assert normalize("か゛") == "が"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d", "\ufeff", "\u2060", "\u00ad", "\ufe0f"])
def test_zero_width_and_format_characters_are_removed(invisible):
    assert normalize(f"Ho{invisible}shi") == "hoshi"


def test_ideographic_variation_selector_does_not_split_a_kanji_name():
    assert normalize("星\U000e0100野") == "星野"


def test_punctuation_and_whitespace_collapse_to_one_space_and_are_trimmed():
    assert normalize("Hoshi-chan!!  ") == "hoshi chan"
    assert normalize("  «Hoshi»\t—\n★ chan 🎬 ") == "hoshi chan"


def test_only_separators_normalise_to_empty():
    assert normalize(" ・!? ") == ""
    assert normalize("") == ""


@pytest.mark.parametrize(
    "text", ["ホシ・チャン", "ホシ チャン", "ホシチャン", "ﾎｼ･ﾁｬﾝ", "ほし　ちゃん"]
)
def test_separators_between_cjk_characters_disappear(text):
    assert normalize(text) == "ほしちゃん"


def test_space_between_latin_and_cjk_is_kept():
    assert normalize("Hoshi ちゃん") == "hoshi ちゃん"


def test_symbol_that_expands_to_letters_does_not_glue_onto_the_word():
    assert normalize("Pokémon™ movie") == "pokemon tm movie"


def test_enclosed_letters_read_as_the_word_they_spell():
    assert normalize("Ⓗⓞⓢⓗⓘ") == "hoshi"


def test_casefold_false_keeps_case_but_still_folds_width_and_accents():
    assert normalize("ＬＩＮＫ and Link", casefold=False) == "LINK and Link"
    assert normalize("Pokémon", casefold=False) == "Pokemon"
    assert normalize("Straße", casefold=False) == "Straße"


def test_casefold_folds_beyond_lowercase():
    assert normalize("Straße") == "strasse"


def test_is_cjk_covers_han_kana_and_hangul_only():
    assert all(is_cjk(ch) for ch in "星ほホー한")
    assert not any(is_cjk(ch) for ch in "aé1 ・!")
