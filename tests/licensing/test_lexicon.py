import pytest

from licensing.policy.lexicon import CATEGORY_LEXICON, categories_in, phrases_in


def test_lexicon_has_exactly_the_policy_categories():
    assert set(CATEGORY_LEXICON) == {
        "violence",
        "sexual",
        "hate",
        "politics",
        "drugs_weapons",
        "alcohol",
        "defamation",
    }


@pytest.mark.parametrize(
    ("prompt", "category", "word"),
    [
        ("the hero will kill the dragon", "violence", "kill"),
        ("a campaign rally downtown", "politics", "campaign rally"),
        ("they share a cold BEER", "alcohol", "beer"),
        ("ドラゴンを殺すシーン", "violence", "殺す"),
        ("日本酒で乾杯", "alcohol", "酒"),
        ("選挙の日の朝", "politics", "選挙"),
        ("ビールを飲む", "alcohol", "ビール"),
    ],
)
def test_category_word_is_found_in_english_and_japanese(prompt, category, word):
    assert word in categories_in(prompt).get(category, [])


def test_words_inside_longer_latin_words_do_not_trigger_a_category():
    assert categories_in("a skill tree, a gunner's gunk and the wineries of Sussex") == {}


def test_categories_list_each_word_once_in_order_of_appearance():
    found = categories_in("Blood, more blood, a massacre, then beer and wine. 血")

    assert found == {"violence": ["blood", "massacre", "血"], "alcohol": ["beer", "wine"]}


def test_harmless_prompt_touches_no_category():
    assert categories_in("a cat napping in a sunny garden") == {}


def test_phrases_in_finds_multi_word_phrases_across_separators():
    banned = ["red car", "photo shoot", "car"]

    assert phrases_in("A photo-shoot with a red   car!", banned) == [
        "photo shoot",
        "red car",
        "car",
    ]


def test_phrases_in_respects_word_boundaries_and_order_of_the_list_does_not_matter():
    assert phrases_in("carpool in a Red Carpet parade", ["red car", "car"]) == []
    assert phrases_in("a red car", ("car", "red car")) == phrases_in(
        "a red car", ["red car", "car"]
    )


def test_banned_phrases_are_found_in_the_plural_and_disguised():
    assert phrases_in("two Red Cars", ["red car"]) == ["red car"]
    assert phrases_in("a r3d-c4r", ["red car"]) == ["red car"]


def test_phrases_in_with_no_phrases_finds_nothing():
    assert phrases_in("anything", []) == []
    assert phrases_in("anything", ["", "!!"]) == []
