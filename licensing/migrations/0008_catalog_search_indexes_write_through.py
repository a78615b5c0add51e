"""The catalog's trigram indexes (0006) write through: GIN's ``fastupdate`` off.

With ``fastupdate`` on, PostgreSQL's default, a new row's trigrams wait in the index's
pending list until VACUUM merges them, or until the list outgrows
``gin_pending_list_limit`` (4 MB). Every search reads the whole pending list, so a
search slows down with every write since the last vacuum.

On the scale data set (bench/make_data.py), right after loading, the name index held
276 pending pages (7,121 entries). The search's id query for a given name ("Neiha", 26
matches) took 5.2 ms under EXPLAIN ANALYZE, 2.7 ms of it in the name index's scan.
After the pending lists were merged it took 1.1 ms, 0.13 ms of it in that scan. Over
the latency benchmark's 40 terms, in-process, the search's SQL fell from a median of
14 ms to 5 ms per request.

The catalog is written a character or an alias at a time and read on every search, so
merging at write time costs little. It also means search speed no longer depends on
when autovacuum last ran. The migration merges what is pending now
(``gin_clean_pending_list``); reversing turns ``fastupdate`` back on.
"""

from django.db import migrations

INDEXES = [
    "licensing_character_name_trgm",
    "licensing_character_franchise_trgm",
    "licensing_character_description_trgm",
    "licensing_characteralias_text_trgm",
]


def write_through(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'ALTER INDEX "{name}" SET (fastupdate = off)')
        schema_editor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])


def pending_list(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'ALTER INDEX "{name}" RESET (fastupdate)')


class Migration(migrations.Migration):
    dependencies = [("licensing", "0007_workapproval_withdrawn")]

    operations = [migrations.RunPython(write_through, pending_list)]
