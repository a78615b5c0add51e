"""Lookalike screening's parts: the model (offline), the prompt's pieces, the ranking,
and the per-process index of description embeddings and how it follows changes."""

import os
import socket

import numpy as np
import pytest

from licensing import services
from licensing.models import CharacterEmbedding
from licensing.policy import lookalike
from tests.factories import CharacterFactory

DASH = (
    "A blue anthropomorphic hedgehog with spiky quills and green eyes who runs at "
    "supersonic speed in red sneakers with white straps, collecting golden rings."
)
PLUMBER = (
    "A short, cheerful Italian plumber with a bushy black moustache, a red cap with a "
    "letter M, blue overalls and white gloves, who jumps on mushrooms and turtles."
)
SCENERY = (
    "A slow cinematic pan across a quiet harbour town at dawn, fishing boats rocking on "
    "grey water, gulls circling the lighthouse, mist lifting from the hills behind the "
    "market where stallholders set out bread, cheese and flowers, while church bells ring "
    "and a postman cycles along the cobbled quay past cafes opening their shutters. "
)


def described(name, description):
    character = CharacterFactory(name=name, description=description)
    services.character_embeddings_refresh(character_ids=[character.pk])
    return character


# --- the model ---------------------------------------------------------------------------


def test_the_model_loads_from_the_installed_package_without_the_network(monkeypatch):
    # given: every way of opening a connection fails, and is recorded
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)

    # when: a fresh copy of the model is loaded (not the process's cached one)
    model = lookalike._load_model()

    # then: it loaded and runs, without trying the network, and the hub is switched off
    vector = model.encode(["a blue hedgehog"], normalize_embeddings=True)
    assert vector.shape == (1, lookalike.DIMENSIONS)
    assert attempts == []
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_embeddings_are_unit_float32_rows_and_alike_texts_are_closer():
    vectors = lookalike.embed(
        ["a blue hedgehog in red sneakers", "a fast blue hedgehog wearing red shoes", "tax law"]
    )

    assert vectors.dtype == np.float32 and vectors.shape == (3, lookalike.DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > 0.7 > 0.2 > vectors[0] @ vectors[2]


def test_a_stored_vector_is_float16_and_reads_back_close():
    vector = lookalike.embed([DASH])[0]

    stored = lookalike.to_stored(vector)

    assert len(stored) == 2 * lookalike.DIMENSIONS
    assert np.abs(lookalike.from_stored(stored) - vector).max() < 1e-3
    assert lookalike.from_stored(stored[:-2]) is None


# --- the prompt's pieces and the ranking ---------------------------------------------------


def test_a_short_prompt_is_one_piece_and_a_long_one_is_read_in_windows():
    assert lookalike.prompt_pieces("  a blue\nhedgehog  ") == ["a blue hedgehog"]
    assert lookalike.prompt_pieces("   ") == []
    # Japanese has no spaces: one piece, whatever its length.
    assert lookalike.prompt_pieces("青いハリネズミが走る。" * 50) == ["青いハリネズミが走る。" * 50]

    long = SCENERY * 4 + "Then a blue hedgehog in red sneakers speeds past. " + SCENERY
    pieces = lookalike.prompt_pieces(long)

    assert len(pieces) > 1
    assert all(len(piece.split()) <= lookalike.WINDOW_WORDS for piece in pieces)
    assert " ".join(pieces).split() == long.split()  # whole sentences, each once
    assert any("blue hedgehog in red sneakers" in piece for piece in pieces)


def test_a_run_on_sentence_is_cut_into_overlapping_windows():
    words = [f"w{i}" for i in range(150)]

    pieces = lookalike.prompt_pieces(" ".join(words))

    assert [p.split()[0] for p in pieces] == ["w0", "w48", "w96"]
    assert all(len(p.split()) <= lookalike.WINDOW_WORDS for p in pieces)
    assert pieces[-1].split()[-1] == "w149"


def test_rank_keeps_the_closest_above_the_threshold_within_the_margin():
    # rows: characters; columns: the prompt's pieces
    scores = np.array(
        [
            [0.71, 0.10],  # the one the first piece describes
            [0.68, 0.10],  # a neighbour, within the margin: also reported
            [0.60, 0.10],  # above the threshold but far behind the closest: not
            [0.10, 0.55],  # the only one the second piece describes
            [0.40, 0.45],  # below the threshold
        ],
        dtype=np.float32,
    )

    ranked = lookalike.rank(scores, threshold=0.5, margin=0.05, limit=3)

    assert [row for row, _ in ranked] == [0, 1, 3]
    assert ranked[0][1] == pytest.approx(0.71)
    assert [row for row, _ in lookalike.rank(scores, threshold=0.5, margin=0.05, limit=2)] == [0, 1]
    # An excluded row (a character the request names) still counts as the closest.
    assert [
        r for r, _ in lookalike.rank(scores, threshold=0.5, margin=0.05, limit=3, excluded_rows=[0])
    ] == [1, 3]
    assert (
        lookalike.rank(np.zeros((0, 1), dtype=np.float32), threshold=0.5, margin=0.05, limit=3)
        == []
    )


# --- the index -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_prompt_describing_a_character_finds_it_and_an_unrelated_one_does_not():
    dash = described("Azure Dash", DASH)
    described("Marco Pipes", PLUMBER)

    found = lookalike.find_lookalikes("the blue hedgehog who runs fast in red sneakers")
    innocent = lookalike.find_lookalikes("a hedgehog family crossing a country lane at night")

    assert [m.character_id for m in found] == [str(dash.pk)]
    assert found[0].score >= 0.5
    assert innocent == []


@pytest.mark.django_db
def test_a_description_buried_after_the_models_window_is_still_found():
    dash = described("Azure Dash", DASH)
    prompt = (
        SCENERY * 4 + "Suddenly the blue hedgehog in red sneakers speeds past at supersonic speed."
    )
    assert len(lookalike.get_model().tokenizer(prompt)["input_ids"]) > 256

    found = lookalike.find_lookalikes(prompt)

    assert [m.character_id for m in found] == [str(dash.pk)]


@pytest.mark.django_db
def test_excluded_characters_are_not_reported():
    dash = described("Azure Dash", DASH)

    found = lookalike.find_lookalikes(
        "the blue hedgehog who runs fast in red sneakers", exclude_ids=[str(dash.pk)]
    )

    assert found == []


@pytest.mark.django_db
def test_without_any_description_nothing_is_embedded(monkeypatch):
    CharacterFactory(name="Nameless", description="")

    def no_model(texts):
        raise AssertionError("the model was asked to embed")

    monkeypatch.setattr(lookalike, "embed", no_model)

    assert lookalike.find_lookalikes("the blue hedgehog who runs fast in red sneakers") == []


@pytest.mark.django_db
def test_the_index_follows_changes_another_process_commits():
    # given: this process read the index with one description
    dash = described("Azure Dash", DASH)
    index = lookalike.get_index()
    assert index.ids == (str(dash.pk),)
    # when: another process stores a second one and removes the first (rows written
    # directly: this process did not write them), then bumps the shared version
    plumber = CharacterFactory(name="Marco Pipes", description=PLUMBER)
    CharacterEmbedding.objects.create(
        character=plumber,
        model_name=lookalike.model_name(),
        digest=lookalike.description_digest(PLUMBER),
        vector=lookalike.to_stored(lookalike.embed([PLUMBER])[0]),
    )
    CharacterEmbedding.objects.filter(character=dash).delete()
    assert lookalike.get_index() is index  # the version has not moved yet
    lookalike._bump()

    # then: the next screen reads the change
    refreshed = lookalike.get_index()
    assert refreshed.ids == (str(plumber.pk),)
    assert [
        m.character_id for m in lookalike.find_lookalikes("a moustached plumber in a red cap")
    ] == [str(plumber.pk)]


@pytest.mark.django_db
def test_a_refresh_fetches_only_the_rows_the_change_log_names(django_assert_num_queries):
    # given: this process read the index; another one writes a row and logs it
    dash = described("Azure Dash", DASH)
    first = lookalike.get_index()
    plumber = CharacterFactory(name="Marco Pipes", description=PLUMBER)
    CharacterEmbedding.objects.create(
        character=plumber,
        model_name=lookalike.model_name(),
        digest=lookalike.description_digest(PLUMBER),
        vector=lookalike.to_stored(lookalike.embed([PLUMBER])[0]),
    )
    lookalike._bump([str(plumber.pk)])

    # when: one query, for the logged row
    with django_assert_num_queries(1):
        refreshed = lookalike.get_index()

    # then: the unchanged row is kept as it was
    assert set(refreshed.ids) == {str(dash.pk), str(plumber.pk)}
    row = refreshed.rows[str(dash.pk)]
    assert np.array_equal(refreshed.matrix[row], first.matrix[first.rows[str(dash.pk)]])


@pytest.mark.django_db
def test_a_process_reads_its_own_writes_before_they_commit(django_assert_num_queries):
    described("Azure Dash", DASH)
    lookalike.get_index()

    plumber = described("Marco Pipes", PLUMBER)  # in this test's transaction

    with django_assert_num_queries(1):
        assert str(plumber.pk) in lookalike.get_index().rows


@pytest.mark.django_db
def test_a_change_the_log_does_not_cover_is_found_by_comparing_digests(settings):
    dash = described("Azure Dash", DASH)
    lookalike.get_index()
    CharacterEmbedding.objects.filter(character=dash).update(
        digest="another", vector=lookalike.to_stored(lookalike.embed([PLUMBER])[0])
    )
    lookalike._bump([])  # logged, but not this row: a later version's log is missing
    lookalike._bump()

    refreshed = lookalike.get_index()

    assert refreshed.digests == ("another",)
    found = lookalike.find_lookalikes("a moustached plumber in a red cap and blue overalls")
    assert [m.character_id for m in found] == [str(dash.pk)]


@pytest.mark.django_db
def test_a_vector_of_another_model_is_not_used():
    old = CharacterFactory(name="Old", description=DASH)
    CharacterEmbedding.objects.create(
        character=old,
        model_name="some-older-model",
        digest="x",
        vector=lookalike.to_stored(lookalike.embed([DASH])[0]),
    )

    assert len(lookalike.get_index()) == 0
