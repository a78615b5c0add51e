"""PostgreSQL refuses to UPDATE or DELETE an audit event, as it does for the licensing
policy decision log: the trail is append-only in the database itself, not only in the
services. (SQLite, the newcomer's fallback, relies on the services; the hash chain
still shows an edit there: manage.py audit_verify.)"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION core_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditevent_append_only BEFORE UPDATE OR DELETE
    ON core_auditevent FOR EACH ROW EXECUTE FUNCTION core_audit_append_only();
"""

NO_GUARD = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS core_audit_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NO_GUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_event")]

    operations = [migrations.RunPython(create, drop)]
