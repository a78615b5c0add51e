"""Database guards for what must never change: a published offer version's terms, and
the policy decision audit log. PostgreSQL only (SQLite is the newcomer's fallback and
relies on the services alone)."""

from django.db import migrations

CREATE = """
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

DROP = """
DROP TRIGGER IF EXISTS licensing_policydecision_append_only ON licensing_policydecision;
DROP FUNCTION IF EXISTS licensing_append_only();
DROP TRIGGER IF EXISTS licensing_offer_terms_frozen ON licensing_offer;
DROP FUNCTION IF EXISTS licensing_offer_terms_frozen();
"""


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
