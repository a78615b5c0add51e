"""Derive the name forms of the characters registered before forms existed."""

from django.db import migrations


def derive(apps, schema_editor):
    from licensing.policy.forms import forms_for_names

    Character = apps.get_model("licensing", "Character")
    NameForm = apps.get_model("licensing", "NameForm")
    for character in Character.objects.prefetch_related("aliases").iterator(chunk_size=500):
        names = [(character.name, "normal")]
        names += [(a.text, a.mode) for a in character.aliases.all()]
        wanted = forms_for_names(names, likeness=character.kind == "likeness")
        NameForm.objects.bulk_create(
            [
                NameForm(character=character, text=t, source=s, origin=o, mode=m)
                for t, (s, o, m) in wanted.items()
            ],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [("licensing", "0003_screening_forms_lookalikes_watchlist")]

    operations = [migrations.RunPython(derive, migrations.RunPython.noop)]
