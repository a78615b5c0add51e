"""Keeping the description embeddings current: enqueued on commit by the services that
write descriptions, idempotent by digest, safe beside a concurrent edit, backfilled by
the sweep and ``manage.py embed_descriptions``, and the model preloaded by workers."""

import io
from types import SimpleNamespace

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from licensing import services, tasks
from licensing.models import Character, CharacterEmbedding
from licensing.policy import lookalike
from licensing.services.embeddings import characters_needing_embeddings
from licensing.services.imports import characters_import
from tests.factories import CharacterFactory, MembershipFactory, editor_of

pytestmark = pytest.mark.django_db

EMBED = lookalike.embed  # the real one, while a test counts the calls
DASH = "A blue hedgehog who runs at supersonic speed in red sneakers."
FOX = "A two-tailed orange fox cub who flies by spinning his tails like a propeller."


def stored(character) -> CharacterEmbedding | None:
    return CharacterEmbedding.objects.filter(character=character).first()


def assert_current(character, text):
    embedding = stored(character)
    assert embedding is not None
    assert embedding.model_name == lookalike.model_name()
    assert embedding.digest == lookalike.description_digest(text)
    expected = EMBED([text])[0]
    assert np.abs(lookalike.from_stored(embedding.vector) - expected).max() < 1e-3


@pytest.fixture
def count_embeds(monkeypatch):
    calls = []
    real = lookalike.embed

    def counting(texts):
        calls.append(list(texts))
        return real(texts)

    monkeypatch.setattr(lookalike, "embed", counting)
    return calls


def test_registering_a_character_embeds_its_description_once_committed(
    eager_celery, django_capture_on_commit_callbacks
):
    membership = MembershipFactory(organization__verification_status="verified")

    with django_capture_on_commit_callbacks(execute=True):
        dash = services.character_create(
            by=membership.user,
            owner_organization=membership.organization,
            name="Azure Dash",
            description=f"  {DASH}\n",
        )
        assert stored(dash) is None  # not before the commit

    assert_current(dash, DASH)


def test_a_character_without_a_description_has_no_embedding(
    eager_celery, django_capture_on_commit_callbacks, count_embeds
):
    membership = MembershipFactory(organization__verification_status="verified")

    with django_capture_on_commit_callbacks(execute=True):
        nameless = services.character_create(
            by=membership.user, owner_organization=membership.organization, name="Nameless"
        )

    assert stored(nameless) is None
    assert count_embeds == []


def test_editing_the_description_recomputes_it_and_other_edits_compute_nothing(
    eager_celery, django_capture_on_commit_callbacks, count_embeds
):
    dash = CharacterFactory(name="Azure Dash", description=DASH)
    services.character_embeddings_refresh(character_ids=[dash.pk])
    editor = editor_of(dash)
    count_embeds.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.character_update(
            character=dash, by=editor, name="Azure Dash II", description=DASH, status="suspended"
        )
    assert count_embeds == []

    with django_capture_on_commit_callbacks(execute=True):
        services.character_update(character=dash, by=editor, description=FOX)
    assert count_embeds == [[FOX]]
    assert_current(dash, FOX)


def test_clearing_the_description_drops_the_embedding(
    eager_celery, django_capture_on_commit_callbacks
):
    dash = CharacterFactory(name="Azure Dash", description=DASH)
    services.character_embeddings_refresh(character_ids=[dash.pk])

    with django_capture_on_commit_callbacks(execute=True):
        services.character_update(character=dash, by=editor_of(dash), description="  ")

    assert stored(dash) is None


def test_the_task_run_twice_computes_once(count_embeds):
    dash = CharacterFactory(name="Azure Dash", description=DASH)

    first = tasks.characters_embed([str(dash.pk)])
    second = tasks.characters_embed([str(dash.pk)])

    assert (first, second) == (1, 0)
    assert count_embeds == [[DASH]]


def test_a_vector_computed_from_a_description_edited_meanwhile_is_not_stored(monkeypatch):
    # given: the description changes while the model is computing the old one's vector
    dash = CharacterFactory(name="Azure Dash", description=DASH)
    real = lookalike.embed

    def edited_meanwhile(texts):
        Character.objects.filter(pk=dash.pk).update(description=FOX)
        return real(texts)

    monkeypatch.setattr(lookalike, "embed", edited_meanwhile)

    # when
    written = services.character_embeddings_refresh(character_ids=[dash.pk])

    # then: the stale vector is dropped (the edit's own task stores the new one)
    assert written == 0
    assert stored(dash) is None


def test_an_import_embeds_new_and_changed_descriptions(
    eager_celery, django_capture_on_commit_callbacks, count_embeds
):
    membership = MembershipFactory(organization__verification_status="verified")
    slug = membership.organization.slug
    rows = [
        {"owner": slug, "name": "Azure Dash", "description": DASH, "lookalike_action": "refuse"},
        {"owner": slug, "name": "Nameless"},
    ]

    with django_capture_on_commit_callbacks(execute=True):
        report = characters_import(rows=rows)
    assert report.created == 2
    dash = Character.objects.get(name="Azure Dash")
    assert_current(dash, DASH)
    assert dash.lookalike_action == "refuse"
    assert count_embeds == [[DASH]]

    count_embeds.clear()
    with django_capture_on_commit_callbacks(execute=True):
        characters_import(rows=[{**rows[0], "description": FOX}, rows[1]])
    assert count_embeds == [[FOX]]
    assert_current(dash, FOX)


def test_embed_descriptions_backfills_missing_and_stale_ones_in_batches(count_embeds):
    # given: characters written without the services (an old database, the admin)
    dash = CharacterFactory(name="Azure Dash", description=DASH)
    fox = CharacterFactory(name="Tails-ish", description=FOX)
    plain = CharacterFactory(name="Plain", description="A plain person in a grey coat.")
    CharacterFactory(name="Nameless", description="")
    services.character_embeddings_refresh(character_ids=[plain.pk])
    Character.objects.filter(pk=plain.pk).update(
        description="A plain person in a long red coat.", updated_at=timezone.now()
    )
    count_embeds.clear()
    out = io.StringIO()

    # when
    call_command("embed_descriptions", "--batch-size", "2", stdout=out)

    # then: the three are current, in two batches, with progress shown
    assert_current(dash, DASH)
    assert_current(fox, FOX)
    assert_current(plain, "A plain person in a long red coat.")
    assert [len(batch) for batch in count_embeds] == [2, 1]
    assert "2 of 3 checked" in out.getvalue() and "3 of 3 checked" in out.getvalue()
    assert "3 embedding(s) written or dropped" in out.getvalue()
    # and: a second run has nothing to do
    count_embeds.clear()
    out = io.StringIO()
    call_command("embed_descriptions", stdout=out)
    assert count_embeds == [] and "0 embedding(s)" in out.getvalue()


def test_a_character_edited_otherwise_is_checked_once_by_the_sweep(count_embeds):
    dash = CharacterFactory(name="Azure Dash", description=DASH)
    services.character_embeddings_refresh(character_ids=[dash.pk])
    Character.objects.filter(pk=dash.pk).update(status="suspended", updated_at=timezone.now())
    assert list(characters_needing_embeddings()) == [dash.pk]
    count_embeds.clear()

    assert tasks.embeddings_sweep() == 0

    assert count_embeds == []  # the digest said the vector is current
    assert list(characters_needing_embeddings()) == []


def test_a_new_model_makes_every_embedding_stale(monkeypatch):
    dash = CharacterFactory(name="Azure Dash", description=DASH)
    services.character_embeddings_refresh(character_ids=[dash.pk])

    monkeypatch.setattr(lookalike, "model_name", lambda: "all-MiniLM-L6-v2 (a newer wheel)")

    assert list(characters_needing_embeddings()) == [dash.pk]
    assert services.character_embeddings_refresh_stale() == 1
    assert stored(dash).model_name == "all-MiniLM-L6-v2 (a newer wheel)"


# --- the worker's start ----------------------------------------------------------------


def test_a_worker_process_loads_the_model_before_its_first_task(monkeypatch, settings):
    monkeypatch.setattr(lookalike, "_model", None)

    tasks.lookalike_process_init()

    assert lookalike.model_loaded()
    assert lookalike.load_seconds is not None and lookalike.load_seconds > 0


def test_a_prefork_main_process_imports_the_runtime_and_leaves_loading_to_its_children(
    monkeypatch,
):
    monkeypatch.setattr(lookalike, "_model", None)

    tasks.lookalike_worker_init(sender=SimpleNamespace(pool_cls="prefork"))
    assert not lookalike.model_loaded()

    tasks.lookalike_worker_init(sender=SimpleNamespace(pool_cls="solo"))
    assert lookalike.model_loaded()


def test_preloading_can_be_switched_off(monkeypatch, settings):
    settings.LOOKALIKE_PRELOAD = False
    monkeypatch.setattr(lookalike, "_model", None)

    tasks.lookalike_process_init()
    tasks.lookalike_worker_init(sender=SimpleNamespace(pool_cls="solo"))

    assert not lookalike.model_loaded()


def test_the_embedding_admin_lists_embeddings_read_only(staff_client):
    dash = CharacterFactory(name="Azure Dash", description=DASH)
    services.character_embeddings_refresh(character_ids=[dash.pk])

    response = staff_client.get("/admin/licensing/characterembedding/", {"q": "azure"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Azure Dash" in html
    assert "/admin/licensing/characterembedding/add/" not in html  # the tasks write them
