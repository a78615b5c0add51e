import random

import pytest

from licensing.policy.screening import Entry, Mention, Registry


def _found(registry: Registry, prompt: str) -> list[tuple[str, str]]:
    return [(mention.character_id, mention.alias) for mention in registry.screen(prompt)]


def test_latin_name_is_found_between_word_boundaries():
    # given
    registry = Registry([Entry("c-link", "link")])

    # when / then
    assert _found(registry, "draw link, waving") == [("c-link", "link")]
    assert _found(registry, "a linkle parade") == []
    assert _found(registry, "unlinked pages") == []
    assert _found(registry, "link2 and 2link") == []


def test_multi_word_name_matches_across_any_separator_and_joined():
    registry = Registry([Entry("c-hoshi", "Hoshi Chan")])

    assert _found(registry, "meet hoshi-chan today") == [("c-hoshi", "Hoshi Chan")]
    assert _found(registry, "meet hoshichan today") == [("c-hoshi", "Hoshi Chan")]
    assert _found(registry, "meet HoshiChan today") == [("c-hoshi", "Hoshi Chan")]
    assert _found(registry, "hoshi waves at chan") == []


def test_exact_case_alias_needs_the_registered_case():
    # given
    registry = Registry([Entry("c-link", "Link", mode="exact_case")])

    # when / then
    assert _found(registry, "Link fights a dragon") == [("c-link", "Link")]
    assert _found(registry, "a link to my site") == []
    assert _found(registry, "LINK fights") == []
    assert _found(registry, "ＬＩＮＫ fights") == []
    assert _found(registry, "Linked in") == []


def test_exact_case_alias_still_folds_width():
    registry = Registry([Entry("c-link", "Link", mode="exact_case")])

    assert _found(registry, "Ｌｉｎｋ fights") == [("c-link", "Link")]


def test_review_mode_is_reported_as_review():
    registry = Registry([Entry("c-sora", "Sora", mode="review"), Entry("c-hoshi", "Hoshi")])

    mentions = registry.screen("sora meets hoshi")

    assert [(m.character_id, m.mode) for m in mentions] == [
        ("c-sora", "review"),
        ("c-hoshi", "normal"),
    ]


def test_cjk_name_is_found_inside_a_run_of_cjk_text():
    registry = Registry([Entry("c-hoshi", "ほしちゃん")])

    assert _found(registry, "ほしちゃんがすき") == [("c-hoshi", "ほしちゃん")]
    assert _found(registry, "わたしはほしちゃんがすき") == [("c-hoshi", "ほしちゃん")]


def test_latin_name_next_to_cjk_text_is_at_a_boundary():
    registry = Registry([Entry("c-hoshi", "Hoshi")])

    assert _found(registry, "hoshiが好き") == [("c-hoshi", "Hoshi")]
    assert _found(registry, "大好きなHoshi") == [("c-hoshi", "Hoshi")]


@pytest.mark.parametrize(
    ("alias", "prompt"),
    [
        ("ほしちゃん", "ホシチャンが踊る"),
        ("ホシ・チャン", "ほしちゃんが踊る"),
        ("ホシ・チャン", "ﾎｼﾁｬﾝが踊る"),
        ("ガンダム", "がんだむのアニメ"),
    ],
)
def test_katakana_and_hiragana_spellings_match_each_other(alias, prompt):
    registry = Registry([Entry("c", alias)])

    assert _found(registry, prompt) == [("c", alias)]


def test_voiced_kana_name_does_not_match_unvoiced_text():
    registry = Registry([Entry("c", "ガンダム")])

    assert _found(registry, "かんたむ") == []


def test_full_width_prompt_matches_latin_name():
    registry = Registry([Entry("c-hoshi", "Hoshi")])

    assert _found(registry, "ＨＯＳＨＩ in space") == [("c-hoshi", "Hoshi")]


def test_name_with_diacritics_matches_plain_spelling_and_back():
    registry = Registry([Entry("c-p", "Pokémon"), Entry("c-z", "Zoe")])

    assert _found(registry, "pokemon and Zoë™") == [("c-p", "Pokémon"), ("c-z", "Zoe")]


def test_zero_width_characters_do_not_hide_a_name():
    registry = Registry([Entry("c-hoshi", "Hoshi"), Entry("c-n", "星野ひかり")])

    assert _found(registry, "Ho\u200bshi and 星野\u200dひかり") == [
        ("c-hoshi", "Hoshi"),
        ("c-n", "星野ひかり"),
    ]


def test_kanji_name_is_found():
    registry = Registry([Entry("c-n", "星野ひかり"), Entry("c-m", "宮本")])

    assert _found(registry, "東京で星野ひかりが歌う") == [("c-n", "星野ひかり")]


def test_every_character_sharing_an_alias_is_reported():
    registry = Registry([Entry("c-1", "Sora"), Entry("c-2", "Sora"), Entry("c-3", "Riku")])

    assert _found(registry, "Sora at the beach") == [("c-1", "Sora"), ("c-2", "Sora")]


def test_repeated_mentions_are_reported_once_at_their_first_occurrence():
    registry = Registry([Entry("c-1", "Sora"), Entry("c-2", "Riku")])

    mentions = registry.screen("riku, sora, sora and riku")

    assert mentions == [
        Mention("c-2", "Riku", "normal", 0, 4, "Riku", "", "riku"),
        Mention("c-1", "Sora", "normal", 5, 9, "Sora", "", "sora"),
    ]


def test_mentions_are_ordered_by_first_appearance_across_case_modes():
    registry = Registry([Entry("c-1", "Hoshi"), Entry("c-2", "Link", mode="exact_case")])

    assert _found(registry, "Link and Hoshi") == [("c-2", "Link"), ("c-1", "Hoshi")]


def test_overlapping_names_are_all_reported():
    registry = Registry([Entry("c-1", "Sora"), Entry("c-2", "Sora Kasugano")])

    assert _found(registry, "sora kasugano waves") == [("c-1", "Sora"), ("c-2", "Sora Kasugano")]


def test_empty_prompt_mentions_nothing():
    registry = Registry([Entry("c-1", "Sora")])

    assert registry.screen("") == []
    assert registry.screen(" !? ") == []


def test_entries_that_normalise_to_nothing_are_ignored():
    registry = Registry([Entry("c-1", "・・"), Entry("c-2", ""), Entry("c-3", "Sora")])

    assert len(registry) == 1
    assert _found(registry, "・・ sora") == [("c-3", "Sora")]


def test_len_counts_distinct_entries_and_version_is_kept():
    registry = Registry(
        [Entry("c-1", "Sora"), Entry("c-1", "Sora"), Entry("c-2", "Sora")], version=7
    )

    assert len(registry) == 2
    assert registry.version == 7


def test_empty_registry_mentions_nothing():
    assert Registry([]).screen("anything at all") == []


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        Entry("c-1", "Sora", mode="fuzzy")


def test_planted_name_is_found_among_thousands_of_random_entries():
    # given
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    kana = "あいうえおかきくけこさしすせそたちつてとなにぬねの"
    entries = []
    for i in range(5000):
        alphabet = letters if i % 2 else kana
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(5, 10)))
        entries.append(Entry(f"c-{i}", text))
    entries.append(Entry("planted", "Zyxwq Planted"))
    entries.append(Entry("planted-jp", "ヌヌヌ星"))
    registry = Registry(entries)

    # when
    mentions = registry.screen("a long prompt about ZYXWQ-planted walking; ぬぬぬ星がひかる")

    # then
    found = {m.character_id for m in mentions}
    assert {"planted", "planted-jp"} <= found
