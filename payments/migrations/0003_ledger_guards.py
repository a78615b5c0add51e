"""Database guards for the ledger (PostgreSQL; SQLite relies on the services):
entries are immutable, and every ledger transaction's entries sum to zero per currency.
The balance check is a statement-level trigger over the inserted rows' transactions, so
it costs one aggregate per INSERT or COPY rather than one per row; the posting service
writes each transaction's lines in one statement, which this requires."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION payments_entry_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are immutable; post a reversing transaction'
        USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER payments_entry_immutable BEFORE UPDATE OR DELETE ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION payments_entry_immutable();

CREATE OR REPLACE FUNCTION payments_transaction_balanced() RETURNS trigger AS $$
DECLARE
    unbalanced record;
BEGIN
    SELECT e.transaction_id, e.currency, SUM(e.amount) AS total INTO unbalanced
      FROM payments_ledgerentry e
     WHERE e.transaction_id IN (SELECT DISTINCT transaction_id FROM inserted)
     GROUP BY e.transaction_id, e.currency
    HAVING SUM(e.amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: off by %',
            unbalanced.transaction_id, unbalanced.currency, unbalanced.total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER payments_transaction_balanced
    AFTER INSERT ON payments_ledgerentry
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION payments_transaction_balanced();
"""

DROP = """
DROP TRIGGER IF EXISTS payments_transaction_balanced ON payments_ledgerentry;
DROP FUNCTION IF EXISTS payments_transaction_balanced();
DROP TRIGGER IF EXISTS payments_entry_immutable ON payments_ledgerentry;
DROP FUNCTION IF EXISTS payments_entry_immutable();
"""


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_ledgertransaction_stripeevent_checkoutsession_and_more")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
