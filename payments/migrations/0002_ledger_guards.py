"""What PostgreSQL itself guards for the ledger (SQLite, the newcomer's fallback, relies
on the services alone):

- Entries are immutable, and ledger accounts and transactions are never deleted or
  renumbered: the ledger is append-only.
- Every INSERT or COPY of entries is checked once, as a statement, over all its rows:
  every account and transaction they name exists (an index probe per distinct id; the
  entries' references carry no per-row foreign key, see ``LedgerEntry``), and per
  transaction and currency the statement's own rows sum to zero. Every statement is held
  to the same and entries never change, so that is the same as all of a transaction's
  entries summing to zero, without reading the entries already in the table. The ORM
  posts a transaction before its entries, and the bulk settlement COPYs transactions
  first, so the check at the end of the statement finds them.
- Revenue events keep half of each page free (fillfactor 50): settling one changes no
  indexed column, so the new row version fits on its page (a heap-only update)."""

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
    missing text;
    bad record;
BEGIN
    SELECT a.account_id::text INTO missing
      FROM (SELECT DISTINCT account_id FROM inserted) AS a
     WHERE NOT EXISTS (SELECT FROM payments_ledgeraccount x WHERE x.id = a.account_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry names account %, which does not exist', missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    -- Per transaction and currency, the statement's own rows must sum to zero, and the
    -- transaction must exist: one index probe per group (the LIMIT keeps it a probe,
    -- never a scan of the whole table).
    SELECT s.transaction_id, s.currency, s.total, found.id IS NULL AS missing INTO bad
      FROM (SELECT transaction_id, currency, SUM(amount) AS total
              FROM inserted GROUP BY transaction_id, currency) AS s
      LEFT JOIN LATERAL (
           SELECT x.id FROM payments_ledgertransaction x
            WHERE x.id = s.transaction_id LIMIT 1) AS found ON TRUE
     WHERE found.id IS NULL OR s.total <> 0
     LIMIT 1;
    IF FOUND AND bad.missing THEN
        RAISE EXCEPTION 'ledger entry names transaction %, which does not exist',
            bad.transaction_id
            USING ERRCODE = 'foreign_key_violation';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: off by %',
            bad.transaction_id, bad.currency, bad.total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER payments_transaction_balanced
    AFTER INSERT ON payments_ledgerentry
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION payments_transaction_balanced();

CREATE OR REPLACE FUNCTION payments_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted or renumbered: the ledger is append-only',
        TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER payments_account_append_only
    BEFORE DELETE OR UPDATE OF id ON payments_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_append_only();
CREATE TRIGGER payments_transaction_append_only
    BEFORE DELETE OR UPDATE OF id ON payments_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION payments_ledger_append_only();

ALTER TABLE payments_revenueevent SET (fillfactor = 50);
"""

DROP = """
ALTER TABLE payments_revenueevent RESET (fillfactor);
DROP TRIGGER IF EXISTS payments_transaction_append_only ON payments_ledgertransaction;
DROP TRIGGER IF EXISTS payments_account_append_only ON payments_ledgeraccount;
DROP FUNCTION IF EXISTS payments_ledger_append_only();
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
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
