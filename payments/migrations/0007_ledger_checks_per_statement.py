"""Settling writes fewer index entries and runs no trigger per ledger row.

``bench/settlement.py`` (400,000 events, perf over 25 s of the bulk run) put the
PostgreSQL side's time in three places: the deferred foreign-key checks at commit (32%:
one SPI query per entry for its account and its transaction, 4.5 entries per event),
index inserts for the COPYs (21%), and the events' UPDATE (13% in index inserts alone:
changing the indexed ``transaction_id`` made every settlement a non-HOT update, a new
entry in all six of the table's indexes).

1. The entries' references to their account and transaction are no longer foreign keys.
   The statement-level trigger that checks the balance now also checks, once per INSERT
   or COPY and for all its rows together, that every account and transaction the rows
   name exists (an index probe per distinct id, not an SPI query per row). What a foreign
   key also guards, that the referenced row is not deleted or renumbered later, is
   guarded outright: ledger accounts and transactions can be neither deleted nor given
   another id (the ledger is append-only; ``on_delete=PROTECT`` already refused it in
   the ORM). The ORM posts a transaction before its entries, and the bulk path COPYs
   the transactions first, so the check at the end of the statement finds them.
2. An event's link to its transaction keeps its foreign key but loses its unique index.
   The link is one-to-one by construction: an event is only ever linked to the
   transaction keyed ``revenue:<event id>``, and that key is unique. With no index on
   any column settling changes, and free space left on the events' pages (fillfactor
   85), settling is a heap-only (HOT) update.
"""

import django.db.models.deletion
from django.db import migrations, models

CHECKS = """
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
    -- Per transaction and currency, the statement's own rows must sum to zero. Every
    -- statement before this one was held to the same, and entries are never changed or
    -- deleted, so that is the same as all of each transaction's entries summing to
    -- zero: without reading the entries already in the table. The transaction must
    -- exist: one index probe per group (the LIMIT keeps it a probe, never a scan of the
    -- whole table).
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

UNDO = """
ALTER TABLE payments_revenueevent RESET (fillfactor);
DROP TRIGGER IF EXISTS payments_transaction_append_only ON payments_ledgertransaction;
DROP TRIGGER IF EXISTS payments_account_append_only ON payments_ledgeraccount;
DROP FUNCTION IF EXISTS payments_ledger_append_only();

CREATE OR REPLACE FUNCTION payments_transaction_balanced() RETURNS trigger AS $$
DECLARE
    unbalanced record;
BEGIN
    SELECT t.transaction_id, s.currency, s.total INTO unbalanced
      FROM (SELECT DISTINCT transaction_id FROM inserted) AS t
     CROSS JOIN LATERAL (
           SELECT e.currency, SUM(e.amount) AS total
             FROM payments_ledgerentry e
            WHERE e.transaction_id = t.transaction_id
            GROUP BY e.currency
           HAVING SUM(e.amount) <> 0) AS s
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: off by %',
            unbalanced.transaction_id, unbalanced.currency, unbalanced.total
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("payments", "0006_balance_trigger_per_transaction")]

    operations = [
        migrations.AlterField(
            model_name="ledgerentry",
            name="account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="payments.ledgeraccount",
            ),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="transaction",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="payments.ledgertransaction",
            ),
        ),
        migrations.AlterField(
            model_name="revenueevent",
            name="transaction",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="revenue_events",
                related_query_name="revenue_event",
                to="payments.ledgertransaction",
            ),
        ),
        migrations.RunPython(_run(CHECKS), _run(UNDO)),
    ]
