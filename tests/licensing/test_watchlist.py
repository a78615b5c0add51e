"""The platform watchlist: its service (idempotent import, bad rows, derived forms),
``manage.py import_watchlist``, the starter list, and the admin that keeps it."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.errors import DomainError, NotPermitted
from demo.seed.data import CHARACTERS, WORKS
from licensing import services
from licensing.models import WatchlistEntry
from licensing.policy import registry
from licensing.policy.normalize import normalize
from licensing.services.watchlist import watchlist_starter_rows
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _forms(entry) -> set[tuple[str, str, str]]:
    return {(f["text"], f["origin"], f["source"]) for f in entry.forms}


def _write(tmp_path, rows) -> str:
    path = tmp_path / "watchlist.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return str(path)


# --- the service ------------------------------------------------------------------------


def test_import_derives_forms_from_the_name_and_every_alias_with_japanese_readings():
    # when
    report = services.watchlist_import(
        rows=[
            {
                "name": "Pikachu",
                "aliases": ["ピカチュウ"],
                "rightsholder": "The Pokémon Company",
                "note": "Pokémon",
            },
            {"name": "Sailor Moon", "aliases": ["月野うさぎ"]},
        ]
    )

    # then: the kana of the romaji name, the romaji of the katakana alias, and a kanji
    # alias read into romaji and hiragana, each with the text it came from
    assert (report.created, report.errors) == (2, [])
    pikachu = WatchlistEntry.objects.get(name="Pikachu")
    assert ("ぴかちゅ", "hiragana", "Pikachu") in _forms(pikachu)
    assert ("pikachuu", "romaji", "ピカチュウ") in _forms(pikachu)
    assert (pikachu.aliases, pikachu.rightsholder, pikachu.active) == (
        ["ピカチュウ"],
        "The Pokémon Company",
        True,
    )
    moon = WatchlistEntry.objects.get(name="Sailor Moon")
    assert ("tsukino usagi", "romaji", "月野うさぎ") in _forms(moon)
    assert ("つきのうさぎ", "hiragana", "月野うさぎ") in _forms(moon)
    # no form twice, and none that screens like the name or an alias
    texts = [f["text"] for f in pikachu.forms]
    assert len(texts) == len(set(texts)) and "ピカチュウ" not in texts


def test_import_is_idempotent_on_the_name_in_any_case():
    # given
    rows = [{"name": "Totoro", "aliases": ["トトロ"], "rightsholder": "Studio Ghibli"}]
    services.watchlist_import(rows=rows)
    before = WatchlistEntry.objects.get().updated_at

    # when: the same file again, then one that writes the name in lower case
    again = services.watchlist_import(rows=rows)
    lower = services.watchlist_import(rows=[{"name": "totoro", "aliases": ["となりのトトロ"]}])

    # then: one entry; nothing rewritten the second time; the new alias added the third
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert (lower.created, lower.updated, lower.unchanged) == (0, 1, 0)
    entry = WatchlistEntry.objects.get()
    assert entry.name == "Totoro" and entry.rightsholder == "Studio Ghibli"
    assert entry.aliases == ["トトロ", "となりのトトロ"]
    assert ("tonarino totoro", "romaji", "となりのトトロ") in _forms(entry)
    assert entry.updated_at > before


def test_import_keeps_what_staff_set_where_a_row_is_silent():
    # given: staff switched an entry off and noted who owns it
    services.watchlist_import(rows=[{"name": "Snoopy", "rightsholder": "Peanuts Worldwide"}])
    WatchlistEntry.objects.update(active=False, note="pending legal review")

    # when: the file names it again without those fields
    report = services.watchlist_import(rows=[{"name": "Snoopy", "aliases": []}])

    # then
    entry = WatchlistEntry.objects.get()
    assert report.unchanged == 1
    assert (entry.active, entry.note, entry.rightsholder) == (
        False,
        "pending legal review",
        "Peanuts Worldwide",
    )


def test_a_bad_row_is_reported_by_number_and_every_good_row_is_kept():
    # when
    report = services.watchlist_import(
        rows=[
            {"name": "Doraemon", "aliases": ["ドラえもん"]},
            {"aliases": ["nameless"]},
            "not an object",
            {"name": "Shrek", "aliases": "シュレック"},
            {"name": "Batman", "alias": ["バットマン"]},
            {"name": "x" * 121},
            {"name": "Snoopy", "active": "yes"},
            {"name": "Anpanman", "aliases": ["アンパンマン", " ", "ANPANMAN"]},
        ]
    )

    # then
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    errors = dict(report.errors)
    assert sorted(errors) == [2, 3, 4, 5, 6, 7]
    assert errors[2] == "'name' is required."
    assert errors[3] == "Each row must be an object."
    assert errors[4] == "'aliases' must be a list of text."
    assert errors[5].startswith("Unknown field 'alias'")
    assert errors[6] == "'name' is longer than 120 characters."
    assert errors[7] == "'active' must be true or false."
    assert set(WatchlistEntry.objects.values_list("name", flat=True)) == {"Doraemon", "Anpanman"}
    # blank aliases and one that only repeats the name in another case are dropped
    assert WatchlistEntry.objects.get(name="Anpanman").aliases == ["アンパンマン"]


def test_an_import_that_changes_the_watchlist_refreshes_screening(
    django_capture_on_commit_callbacks,
):
    # given
    version = registry.registry_version()

    # when / then: a change moves the version on commit; a no-op import does not
    with django_capture_on_commit_callbacks(execute=True):
        services.watchlist_import(rows=[{"name": "Shrek"}])
    assert registry.registry_version() != version
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.watchlist_import(rows=[{"name": "Shrek"}])
    assert not callbacks


def test_only_staff_keep_the_watchlist_and_names_stay_unique_in_any_case():
    staff = UserFactory(is_staff=True)
    entry = services.watchlist_entry_save(by=staff, name="Pac-Man", aliases=["パックマン"])

    with pytest.raises(NotPermitted):
        services.watchlist_entry_save(by=UserFactory(), name="Shrek")
    with pytest.raises(DomainError, match="already on the watchlist") as duplicate:
        services.watchlist_entry_save(by=staff, name="PAC-MAN")
    assert duplicate.value.field == "name"
    assert ("pakkuman", "romaji", "パックマン") in _forms(entry)
    assert WatchlistEntry.objects.count() == 1


def test_the_starter_watchlist_imports_cleanly_and_names_nothing_the_demo_registers():
    # given: every way the demo's characters are named, and the demo's prompts
    demo_names = {normalize(n) for c in CHARACTERS for n in (c.name, *c.aliases)}
    demo_prompts = [normalize(w.prompt) for w in WORKS]

    # when
    rows = watchlist_starter_rows()
    report = services.watchlist_import(rows=rows)

    # then
    assert report.errors == [] and report.created == len(rows) >= 20
    for entry in WatchlistEntry.objects.all():
        for text in (entry.name, *entry.aliases, *(f["text"] for f in entry.forms)):
            assert normalize(text) not in demo_names, (entry.name, text)
            assert not any(normalize(text) in prompt for prompt in demo_prompts), text


# --- manage.py import_watchlist -------------------------------------------------------------


def test_import_watchlist_prints_its_counts_and_each_bad_row(tmp_path, capsys):
    rows = [
        {"name": "Pikachu", "aliases": ["ピカチュウ"], "rightsholder": "The Pokémon Company"},
        {"name": ""},
        {"name": "Totoro", "aliases": ["トトロ"], "note": "Studio Ghibli"},
    ]

    call_command("import_watchlist", _write(tmp_path, rows))
    call_command("import_watchlist", _write(tmp_path, rows))

    out, err = capsys.readouterr()
    assert "2 created, 0 updated, 0 unchanged, 1 error(s) in 3 row(s)" in out
    assert "0 created, 0 updated, 2 unchanged, 1 error(s) in 3 row(s)" in out
    assert "row 2: 'name' is required." in err
    assert WatchlistEntry.objects.count() == 2


def test_import_watchlist_refuses_a_file_it_cannot_use(tmp_path):
    missing = tmp_path / "nope.json"
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")

    with pytest.raises(CommandError, match="No such file"):
        call_command("import_watchlist", str(missing))
    with pytest.raises(CommandError, match="not valid UTF-8 JSON"):
        call_command("import_watchlist", str(broken))
    with pytest.raises(CommandError, match="a JSON list"):
        call_command("import_watchlist", _write(tmp_path, {"name": "Shrek"}))
    with pytest.raises(CommandError, match="No row could be imported"):
        call_command("import_watchlist", _write(tmp_path, [{"name": ""}]))
    assert not WatchlistEntry.objects.exists()


def test_import_watchlist_without_a_file_imports_the_starter_list(capsys):
    call_command("import_watchlist")

    out, _ = capsys.readouterr()
    assert f"{len(watchlist_starter_rows())} created" in out
    assert WatchlistEntry.objects.filter(name="Pikachu", active=True).exists()


# --- the admin ------------------------------------------------------------------------------


ADD = reverse("admin:licensing_watchlistentry_add")
CHANGELIST = reverse("admin:licensing_watchlistentry_changelist")


def _entry_form(**overrides) -> dict:
    return {
        "name": "Totoro",
        "aliases": "トトロ\r\nとなりのトトロ\r\n",
        "rightsholder": "Studio Ghibli",
        "note": "",
        "active": "on",
        **overrides,
    }


def test_staff_add_an_entry_in_the_admin_and_see_its_derived_forms(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    version = registry.registry_version()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(ADD, _entry_form())

    # then: stored with its forms derived, and screening told
    assert response.status_code == 302
    entry = WatchlistEntry.objects.get()
    assert entry.aliases == ["トトロ", "となりのトトロ"]
    assert ("tonarino totoro", "romaji", "となりのトトロ") in _forms(entry)
    assert registry.registry_version() != version
    # and: the change page shows the forms, read-only
    page = staff_client.get(
        reverse("admin:licensing_watchlistentry_change", args=[entry.pk])
    ).content.decode()
    assert "tonarino totoro" in page and "romaji of となりのトトロ" in page
    assert 'name="forms"' not in page


def test_editing_aliases_in_the_admin_derives_the_forms_again(staff_client):
    # given
    staff = UserFactory(is_staff=True)
    entry = services.watchlist_entry_save(by=staff, name="Totoro", aliases=["トトロ"])
    url = reverse("admin:licensing_watchlistentry_change", args=[entry.pk])

    # when: staff replace the alias
    response = staff_client.post(url, _entry_form(aliases="となりのトトロ"))

    # then: the old alias's forms are gone, the new one's derived
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.aliases == ["となりのトトロ"]
    assert {f["source"] for f in entry.forms} <= {"Totoro", "となりのトトロ"}
    assert ("tonarino totoro", "romaji", "となりのトトロ") in _forms(entry)


def test_the_admin_refuses_a_name_already_on_the_watchlist_in_another_case(staff_client):
    # given
    services.watchlist_import(rows=[{"name": "Totoro"}])

    # when
    response = staff_client.post(ADD, _entry_form(name="TOTORO"))

    # then: the form again, with the reason beside the name
    assert response.status_code == 200
    assert "&#x27;TOTORO&#x27; is already on the watchlist." in response.content.decode()
    assert WatchlistEntry.objects.count() == 1


def test_deactivating_and_deleting_entries_in_the_admin_refresh_screening(
    staff_client, django_capture_on_commit_callbacks
):
    # given
    services.watchlist_import(rows=[{"name": "Totoro"}, {"name": "Shrek"}])
    totoro, shrek = (
        WatchlistEntry.objects.get(name="Totoro"),
        WatchlistEntry.objects.get(name="Shrek"),
    )
    version = registry.registry_version()

    # when: one switched off with the action
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            CHANGELIST,
            {"action": "deactivate", "_selected_action": [str(totoro.pk)]},
            follow=True,
        )

    # then
    assert "1 watchlist entry deactivated." in response.content.decode()
    totoro.refresh_from_db()
    assert totoro.active is False
    assert registry.registry_version() != version
    version = registry.registry_version()

    # when: the other deleted
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:licensing_watchlistentry_delete", args=[shrek.pk]), {"post": "yes"}
        )

    # then
    assert not WatchlistEntry.objects.filter(pk=shrek.pk).exists()
    assert registry.registry_version() != version


def test_a_prompt_naming_a_watchlisted_character_is_refused_as_not_licensable_yet(
    django_capture_on_commit_callbacks,
):
    # given: staff import the starter list
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_watchlist")
    creator = UserFactory()

    # when: a prompt names one, in its own script, by a derived reading, or in disguise
    decisions = [
        services.policy_screen(creator=creator, prompt=prompt, character_ids=[])[0]
        for prompt in ("Totoro in the rain", "ととろ in the rain", "T0t0r0 in the rain")
    ]

    # then
    for decision in decisions:
        assert not decision.allowed
        (reason,) = decision.reasons
        assert reason.code == "watchlisted" and reason.character_name == "Totoro"
        assert "not licensable on Cocreate yet" in reason.message
    innocent, _ = services.policy_screen(
        creator=creator, prompt="a forest spirit in the rain", character_ids=[]
    )
    assert innocent.allowed


def test_a_watchlisted_name_a_studio_then_registers_follows_the_studios_terms(
    django_capture_on_commit_callbacks,
):
    from tests.factories import CharacterFactory, grant_for

    with django_capture_on_commit_callbacks(execute=True):
        services.watchlist_import(rows=[{"name": "Totoro"}])
        totoro = CharacterFactory(name="Totoro")
        registry.registry_changed()
    creator = UserFactory()
    grant_for(totoro, creator)

    decision, _ = services.policy_screen(
        creator=creator, prompt="Totoro in the rain", character_ids=[]
    )

    assert decision.allowed, decision.reasons
