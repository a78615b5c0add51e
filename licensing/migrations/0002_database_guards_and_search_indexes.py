"""What PostgreSQL itself guards and serves for licensing (SQLite, the newcomer's
fallback, relies on the services alone and scans for searches):

- A published offer version's terms never change, and the policy decision log is
  append-only: triggers refuse the UPDATE or DELETE.
- The catalog search's ``icontains`` filters (Django writes
  ``UPPER(col::text) LIKE UPPER('%term%')``, which no B-tree serves) are served by GIN
  trigram indexes on exactly that expression (pg_trgm's ``gin_trgm_ops``), one per
  searched column; the OR of the search needs every branch indexed, or PostgreSQL scans.
  They write through (``fastupdate = off``): a search reads GIN's whole pending list, so
  with it on every write since the last vacuum would slow searches down.

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
Reversing drops the indexes and leaves the extension, which other objects may use."""

from django.db import migrations

GUARDS = """
CREATE OR REPLACE FUNCTION licensing_offer_terms_frozen() RETURNS trigger AS $$
BEGIN
    IF OLD.status <> 'draft' AND (NEW.terms IS DISTINCT FROM OLD.terms
                                  OR NEW.terms_hash IS DISTINCT FROM OLD.terms_hash) THEN
        RAISE EXCEPTION 'offer % version % is published: its terms are immutable',
            OLD.series, OLD.version USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER licensing_offer_terms_frozen BEFORE UPDATE ON licensing_offer
    FOR EACH ROW EXECUTE FUNCTION licensing_offer_terms_frozen();

CREATE OR REPLACE FUNCTION licensing_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER licensing_policydecision_append_only BEFORE UPDATE OR DELETE
    ON licensing_policydecision FOR EACH ROW EXECUTE FUNCTION licensing_append_only();
"""

NO_GUARDS = """
DROP TRIGGER IF EXISTS licensing_policydecision_append_only ON licensing_policydecision;
DROP FUNCTION IF EXISTS licensing_append_only();
DROP TRIGGER IF EXISTS licensing_offer_terms_frozen ON licensing_offer;
DROP FUNCTION IF EXISTS licensing_offer_terms_frozen();
"""

SEARCH_INDEXES = {
    "licensing_character_name_trgm": ("licensing_character", "name"),
    "licensing_character_franchise_trgm": ("licensing_character", "franchise"),
    "licensing_character_description_trgm": ("licensing_character", "description"),
    "licensing_characteralias_text_trgm": ("licensing_characteralias", "text"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(GUARDS, params=None)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in SEARCH_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops) WITH (fastupdate = off)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in SEARCH_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
    schema_editor.execute(NO_GUARDS, params=None)


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
