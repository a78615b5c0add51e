import json

import pytest
from django.core.management import CommandError, call_command

from licensing.models import Character
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _write(tmp_path, rows) -> str:
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_import_reports_bad_rows_and_keeps_every_good_one(tmp_path, capsys):
    OrganizationFactory(slug="hoshi-studio")
    person = UserFactory(email="aiko@example.com")
    rows = [
        {
            "owner": "hoshi-studio",
            "name": "Hoshi-chan",
            "aliases": ["ほしちゃん", "Hoshi"],
            "description": "A star",
        },
        {"owner": "hoshi-studio", "name": ""},
        {"owner": "no-such-studio", "name": "Ghost"},
        "not an object",
        {"owner": "hoshi-studio", "name": "Kuro", "kind": "robot"},
        {"owner": "hoshi-studio", "name": "Villain", "disallowed": True},
        {"owner": "aiko@example.com", "name": "Aiko", "kind": "likeness"},
        {"owner": "hoshi-studio", "name": "Bad aliases", "aliases": "Hoshi"},
    ]

    call_command("import_characters", _write(tmp_path, rows))

    out, err = capsys.readouterr()
    assert "3 created, 0 updated, 0 unchanged, 5 error(s) in 8 row(s)" in out
    assert "row 2: 'name' is required" in err
    assert "row 3: no organization with slug 'no-such-studio'" in err
    assert "row 4:" in err and "row 5:" in err and "row 8:" in err
    assert set(Character.objects.values_list("name", flat=True)) == {
        "Hoshi-chan",
        "Villain",
        "Aiko",
    }
    assert Character.objects.get(name="Villain").disallowed is True
    assert Character.objects.get(name="Aiko").owner_user == person
    assert sorted(
        Character.objects.get(name="Hoshi-chan").aliases.values_list("text", flat=True)
    ) == [
        "Hoshi",
        "ほしちゃん",
    ]


def test_import_is_idempotent_on_owner_and_name(tmp_path, capsys):
    OrganizationFactory(slug="hoshi-studio")
    rows = [{"owner": "hoshi-studio", "name": "Hoshi-chan", "aliases": ["ほしちゃん"]}]
    path = _write(tmp_path, rows)
    call_command("import_characters", path)

    call_command("import_characters", path)
    rows[0]["aliases"].append("Hoshi")
    rows[0]["description"] = "Updated"
    call_command("import_characters", _write(tmp_path, rows))

    out = capsys.readouterr().out
    assert "0 created, 0 updated, 1 unchanged" in out
    assert "0 created, 1 updated, 0 unchanged" in out
    character = Character.objects.get()
    assert character.description == "Updated"
    assert character.aliases.count() == 2


def test_import_of_an_unreadable_file_fails_clearly(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("[{not json", encoding="utf-8")

    with pytest.raises(CommandError, match="not valid UTF-8 JSON"):
        call_command("import_characters", str(path))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_characters", str(tmp_path / "missing.json"))
