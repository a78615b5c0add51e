"""PostgreSQL refuses any ledger entry that would take a person's or an organization's
account below zero (kinds in ``payments.enums.PARTY_KINDS``: available, pending, wallet,
hold). Only the platform's own accounts (escrow, platform revenue, Stripe clearing,
receivable) may be negative.

The check runs once per INSERT or COPY statement, over the party accounts the statement
debits: it locks them (in id order, as the services lock them) and then sums their
entries, so a concurrent debit of the same account waits for this transaction and then
sees its entries: two withdrawals or fee holds racing for the same money cannot both
pass. Statements that debit no party account (a settlement, which debits Stripe
clearing) lock and sum nothing."""

from django.db import migrations

PARTY_KINDS = "('available', 'pending', 'wallet', 'hold')"

CREATE = f"""
CREATE OR REPLACE FUNCTION payments_party_not_negative() RETURNS trigger AS $$
DECLARE
    bad record;
BEGIN
    PERFORM a.id FROM payments_ledgeraccount a
      WHERE a.id IN (SELECT DISTINCT account_id FROM inserted WHERE amount < 0)
        AND a.kind IN {PARTY_KINDS}
      ORDER BY a.id
        FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT a.id, a.kind, a.currency, t.total INTO bad
      FROM payments_ledgeraccount a
      CROSS JOIN LATERAL (
           SELECT COALESCE(SUM(e.amount), 0) AS total
             FROM payments_ledgerentry e WHERE e.account_id = a.id) AS t
     WHERE a.id IN (SELECT DISTINCT account_id FROM inserted WHERE amount < 0)
       AND a.kind IN {PARTY_KINDS}
       AND t.total < 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger account % (% %) would go below zero (% after this entry)',
            bad.id, bad.kind, bad.currency, bad.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER payments_party_not_negative
    AFTER INSERT ON payments_ledgerentry
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION payments_party_not_negative();
"""

DROP = """
DROP TRIGGER IF EXISTS payments_party_not_negative ON payments_ledgerentry;
DROP FUNCTION IF EXISTS payments_party_not_negative();
"""


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("payments", "0004_wallet_fee_holds")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
