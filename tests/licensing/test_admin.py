"""Staff edits in the admin reach prompt screening: a name, an alias, a derived form or
the disallowed flag changed (or a character deleted) there is seen by the next screen,
in this process and every other, once the change commits."""

import pytest
from django.contrib import admin
from django.urls import reverse

from licensing import services
from licensing.admin import RefreshesScreening
from licensing.models import Character, CharacterAlias, NameForm, WatchlistEntry
from licensing.policy import registry
from tests.admin_form import admin_form_data
from tests.factories import CharacterFactory, UserFactory, grant_for

pytestmark = pytest.mark.django_db


def _screen(prompt, *, creator=None, characters=()):
    decision, _ = services.policy_screen(
        creator=creator or UserFactory(), prompt=prompt, character_ids=[c.pk for c in characters]
    )
    return decision


def _change_url(character) -> str:
    return reverse("admin:licensing_character_change", args=[character.pk])


def _save_character(staff_client, character, **changes) -> dict[str, list[str]]:
    """Post the character's admin change form as loaded, with ``changes`` applied (a value
    of None unticks a checkbox)."""
    data = admin_form_data(
        staff_client.get(_change_url(character)).content.decode(), "character_form"
    )
    for field, value in changes.items():
        if value is None:
            data.pop(field, None)
        else:
            data[field] = value if isinstance(value, list) else [value]
    response = staff_client.post(_change_url(character), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return data


def test_renaming_a_character_in_the_admin_screens_the_new_name_at_once(
    staff_client, django_capture_on_commit_callbacks
):
    # given: a character, and a registry built before the edit
    character = CharacterFactory(name="Hoshi-chan")
    assert _screen("Comet Girl sings").allowed

    # when: staff rename it in the admin
    with django_capture_on_commit_callbacks(execute=True):
        _save_character(staff_client, character, name="Comet Girl")

    # then: the new name is refused as unlicensed, the old one no longer names anyone
    renamed = _screen("Comet Girl sings")
    assert not renamed.allowed
    assert (renamed.reasons[0].code, renamed.reasons[0].character_name) == (
        "unlicensed_character",
        "Comet Girl",
    )
    assert _screen("Hoshi-chan sings").allowed


def test_an_alias_added_with_the_admin_inline_is_screened(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    character = CharacterFactory(name="Hoshi-chan")
    assert _screen("ほしちゃんが踊る").allowed

    # when: staff add an alias in the character's alias inline
    with django_capture_on_commit_callbacks(execute=True):
        _save_character(
            staff_client,
            character,
            **{
                "aliases-TOTAL_FORMS": "1",
                "aliases-0-text": "ほしちゃん",
                "aliases-0-mode": "normal",
                "aliases-0-character": str(character.pk),
                "aliases-0-id": "",
            },
        )

    # then
    assert CharacterAlias.objects.filter(character=character, text="ほしちゃん").exists()
    decision = _screen("ほしちゃんが踊る")
    assert not decision.allowed and decision.reasons[0].character_name == "Hoshi-chan"
    # and: the alias got its derived forms, which screen too
    assert ("hoshichan", "romaji") in set(character.name_forms.values_list("text", "origin"))


def test_an_alias_deleted_in_the_alias_admin_is_no_longer_screened(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    character = CharacterFactory(name="Hoshi-chan")
    alias = CharacterAlias.objects.create(character=character, text="Starlet")
    assert not _screen("Starlet waves").allowed

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:licensing_characteralias_delete", args=[alias.pk]), {"post": "yes"}
        )

    # then
    assert response.status_code == 302
    assert _screen("Starlet waves").allowed


def test_disallowing_a_character_in_the_admin_form_refuses_even_a_licensee(
    staff_client, django_capture_on_commit_callbacks
):
    # given: a creator licensed to use the character
    character = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant_for(character, creator)
    assert _screen("Hoshi-chan sings", creator=creator, characters=[character]).allowed

    # when
    with django_capture_on_commit_callbacks(execute=True):
        _save_character(staff_client, character, disallowed="on")

    # then
    decision = _screen("Hoshi-chan sings", creator=creator, characters=[character])
    assert not decision.allowed
    assert decision.reasons[0].code == "disallowed_character"


def test_the_mark_disallowed_action_refuses_the_selected_characters(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    character = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant_for(character, creator)
    assert _screen("Hoshi-chan sings", creator=creator, characters=[character]).allowed

    # when
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:licensing_character_changelist"),
            {"action": "mark_disallowed", "_selected_action": [str(character.pk)]},
        )

    # then
    decision = _screen("Hoshi-chan sings", creator=creator, characters=[character])
    assert decision.reasons[0].code == "disallowed_character"


def test_characters_deleted_in_the_admin_no_longer_screen_prompts(
    staff_client, django_capture_on_commit_callbacks
):
    # given: one deleted from its page, two with the bulk delete action
    alone = CharacterFactory(name="Comet Girl")
    bulk = [CharacterFactory(name="Kuro"), CharacterFactory(name="Shiro")]
    assert not _screen("Comet Girl, Kuro and Shiro").allowed
    version = registry.registry_version()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:licensing_character_delete", args=[alone.pk]), {"post": "yes"}
        )
    assert not _screen("Comet Girl, Kuro and Shiro").allowed
    assert registry.registry_version() != version
    version = registry.registry_version()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:licensing_character_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [str(c.pk) for c in bulk],
                "post": "yes",
            },
        )

    # then: every process rebuilds its registry without their names
    assert not Character.objects.exists()
    assert registry.registry_version() != version
    assert _screen("Comet Girl, Kuro and Shiro").allowed


def test_an_admin_edit_that_leaves_names_alone_keeps_every_registry(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    character = CharacterFactory(name="Hoshi-chan")
    services.name_forms_refresh(character=character)  # its forms, as registration derives
    version = registry.registry_version()

    # when: only the description changes
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _save_character(staff_client, character, description="A star who keeps a diary.")

    # then: no process is made to rebuild its registry for it
    character.refresh_from_db()
    assert character.description == "A star who keeps a diary."
    assert registry.registry_version() == version
    assert not callbacks


def test_switching_off_a_derived_form_in_the_character_admin_announces_it(
    staff_client, django_capture_on_commit_callbacks
):
    # given: a derived form, shown read-only but for its switch
    character = CharacterFactory(name="月影レン")
    form = NameForm.objects.create(
        character=character, source="月影レン", text="tsukikage ren", origin="romaji"
    )
    page = staff_client.get(_change_url(character)).content.decode()
    assert "tsukikage ren" in page and 'name="name_forms-0-enabled"' in page
    assert 'name="name_forms-0-text"' not in page
    version = registry.registry_version()

    # when: staff untick it
    with django_capture_on_commit_callbacks(execute=True):
        _save_character(staff_client, character, **{"name_forms-0-enabled": None})

    # then
    form.refresh_from_db()
    assert form.enabled is False
    assert registry.registry_version() != version


def test_switching_a_form_back_on_in_the_name_form_list_announces_it(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    character = CharacterFactory(name="月影レン")
    form = NameForm.objects.create(
        character=character,
        source="月影レン",
        text="つきかげれん",
        origin="hiragana",
        enabled=False,
    )
    url = reverse("admin:licensing_nameform_changelist")
    data = admin_form_data(staff_client.get(url).content.decode(), "changelist-form")
    data["form-0-enabled"] = ["on"]
    data["_save"] = ["Save"]
    version = registry.registry_version()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, data)

    # then
    assert response.status_code == 302
    form.refresh_from_db()
    assert form.enabled is True
    assert registry.registry_version() != version


def test_every_admin_of_what_screening_reads_refreshes_it():
    for model in (Character, CharacterAlias, NameForm, WatchlistEntry):
        assert isinstance(admin.site._registry[model], RefreshesScreening), model
