"""Trigram indexes for the catalog search (PostgreSQL only; SQLite scans, as before).

``catalog_characters(q=...)`` filters with ``icontains``, which Django writes as
``UPPER(col::text) LIKE UPPER('%term%')``: a B-tree cannot serve a pattern with a
leading wildcard, so every search read all 100,000 characters and 300,000 aliases. A
GIN index with pg_trgm's ``gin_trgm_ops`` on exactly that expression can; PostgreSQL
combines the three character indexes with a BitmapOr, and the alias index serves the
other half of the selector's UNION.

Measured with bench/api_latency.py on the scale data set (bench/make_data.py --scale 1:
100,000 characters, 300,000 aliases), catalog search, 2 gunicorn workers, wrk with 2
connections, on a shared 2-core machine:
  - licensing_character_name_trgm, _franchise_trgm, _description_trgm and
    licensing_characteralias_text_trgm together: p50 BEFORE_P50 ms -> AFTER_P50 ms,
    p99 BEFORE_P99 ms -> AFTER_P99 ms (EXPLAIN ANALYZE of the search query for a given
    name: BEFORE_EXPLAIN ms -> AFTER_EXPLAIN ms).
Each index alone does nothing for a search: the OR needs every branch indexed, or the
planner scans the table anyway.

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
Reversing drops the indexes and leaves the extension, which other objects may use.
"""

from django.db import migrations

INDEXES = {
    "licensing_character_name_trgm": ("licensing_character", "name"),
    "licensing_character_franchise_trgm": ("licensing_character", "franchise"),
    "licensing_character_description_trgm": ("licensing_character", "description"),
    "licensing_characteralias_text_trgm": ("licensing_characteralias", "text"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("licensing", "0005_claim_dispute_claim_claim_one_per_work_and_character")]

    operations = [migrations.RunPython(create, drop)]
