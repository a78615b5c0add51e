"""Trigram indexes for the catalog search (PostgreSQL only; SQLite scans, as before).

``catalog_characters(q=...)`` filters with ``icontains``, which Django writes as
``UPPER(col::text) LIKE UPPER('%term%')``: a B-tree cannot serve a pattern with a
leading wildcard, so every search read all 100,000 characters and 300,000 aliases. A
GIN index with pg_trgm's ``gin_trgm_ops`` on exactly that expression can; PostgreSQL
combines the three character indexes with a BitmapOr, and the alias index serves the
other half of the selector's UNION.

Measured on the scale data set (bench/make_data.py --scale 1: 100,000 characters,
300,000 aliases) on a shared 2-core machine, load average 4-7:
  - the catalog search's two heavy queries (the page and its count), EXPLAIN ANALYZE,
    with the selector's UNION (same commit) and without -> with these four indexes:
    a given name ("Thouth", 230 matches) 194 + 204 ms -> 32 + 69 ms; a franchise
    ("Star Saga", 658 matches) 233 + 221 ms -> 18 + 17 ms. (The former join with
    DISTINCT, before that commit: 303 + 218 ms and 703 + 627 ms.)
  - bench/api_latency.py, catalog search (2 gunicorn workers, wrk with 2 connections):
    p50 1,706 ms, p99 2,711 ms before the UNION and the indexes -> p50 86 ms, p99 551 ms
    with both.
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
