"""The balance trigger probes the entries index once per inserted transaction.

``= ANY (ARRAY(...))`` (0004) left the plan to PostgreSQL, which cannot see the array's
size: on a large ledger it scanned with the whole array as a filter, comparing every row
it read with every inserted transaction id. ``bench/settlement.py`` showed it: on its way
to 4.5 million entries, uuid_eq and ExecEvalScalarArrayOp under this trigger took 19% of
the machine's CPU (perf, 20 s sample), and each batch of 20,000 settlements slowed as
the ledger grew. A LATERAL subquery per distinct inserted transaction is one index probe
each, whatever the ledger's size.

The check is unchanged: every transaction the statement inserted into must sum to zero
per currency over all of its entries, old and new."""

from django.db import migrations

PER_TRANSACTION = """
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

BY_BATCH = """
CREATE OR REPLACE FUNCTION payments_transaction_balanced() RETURNS trigger AS $$
DECLARE
    unbalanced record;
BEGIN
    SELECT e.transaction_id, e.currency, SUM(e.amount) AS total INTO unbalanced
      FROM payments_ledgerentry e
     WHERE e.transaction_id = ANY (ARRAY(SELECT DISTINCT transaction_id FROM inserted))
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
"""


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_fewer_ledger_indexes")]

    operations = [migrations.RunPython(_run(PER_TRANSACTION), _run(BY_BATCH))]
