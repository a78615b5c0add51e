"""The catalog's read model (licensing/services/catalog.py): one document per listed
character. On PostgreSQL the search's ``icontains`` over ``search_text`` (Django writes
``UPPER(search_text::text) LIKE UPPER('%term%')``) is served by one GIN trigram index on
that expression, written through (``fastupdate = off``, as in 0002); the catalog's order
by a B-tree. Fill it with ``manage.py read_models_rebuild`` after migrating."""

import django.db.models.deletion
from django.db import migrations, models

SEARCH_INDEX = "licensing_catalogdocument_search_trgm"


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{SEARCH_INDEX}" ON "licensing_catalogdocument" '
        'USING gin ((UPPER("search_text"::text)) gin_trgm_ops) WITH (fastupdate = off)'
    )


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{SEARCH_INDEX}"')


class Migration(migrations.Migration):
    dependencies = [("licensing", "0013_likeness_consent")]

    operations = [
        migrations.CreateModel(
            name="CatalogDocument",
            fields=[
                (
                    "character",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="catalog_document",
                        serialize=False,
                        to="licensing.character",
                    ),
                ),
                ("listed_at", models.DateTimeField()),
                (
                    "kind",
                    models.CharField(
                        choices=[("character", "Character"), ("likeness", "Likeness")],
                        max_length=10,
                    ),
                ),
                ("franchise", models.CharField(blank=True, max_length=120)),
                ("search_text", models.TextField()),
                ("has_commercial", models.BooleanField()),
                ("has_noncommercial", models.BooleanField()),
                ("has_free", models.BooleanField()),
                ("has_paid", models.BooleanField()),
                ("romaji", models.CharField(blank=True, max_length=200)),
                ("thumbnail", models.CharField(blank=True, max_length=255)),
                ("payload", models.JSONField()),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["-listed_at", "character_id"],
                "indexes": [
                    models.Index(
                        fields=["-listed_at", "character"], name="licensing_catalog_order"
                    )
                ],
            },
        ),
        migrations.RunPython(create_search_index, drop_search_index),
    ]
