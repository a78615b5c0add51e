"""Fewer indexes for settlement to write, found by ``bench/settlement.py``: settling a
revenue event UPDATEs the event and inserts a transaction and ~4.5 entries, and index
upkeep was the largest PostgreSQL cost in its profile (~22% of the machine's CPU).

- The entries' index on ``account_id`` alone duplicates the ``(account_id, created_at)``
  index, which serves every lookup by account (and the foreign key's checks).
- ``LedgerTransaction.key`` keeps its unique index, as a ``UniqueConstraint``, without the
  ``varchar_pattern_ops`` copy that ``unique=True`` adds (keys are never matched by LIKE).
- A revenue event belongs to a work or a grant and often has no payer: its work, grant
  and payer indexes cover only the rows where they are set, so each settled event (a
  non-HOT UPDATE) writes ~1.4 fewer index entries. Lookups by these ids still use them.

The foreign keys themselves are untouched: only their indexes are dropped (Django's
AlterField would drop and re-validate each constraint on the whole table)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (table, column) of the single-column foreign key indexes dropped here.
FK_INDEXES = [
    ("payments_ledgerentry", "account_id"),
    ("payments_revenueevent", "work_id"),
    ("payments_revenueevent", "grant_id"),
    ("payments_revenueevent", "payer_id"),
]


def _drop_fk_indexes(apps, schema_editor):
    for table, column in FK_INDEXES:
        name = schema_editor._create_index_name(table, [column])
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def _create_fk_indexes(apps, schema_editor):
    for table, column in FK_INDEXES:
        name = schema_editor._create_index_name(table, [column])
        schema_editor.execute(
            f"CREATE INDEX {schema_editor.quote_name(name)} ON "
            f"{schema_editor.quote_name(table)} ({schema_editor.quote_name(column)})"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0005_claim_dispute_claim_claim_one_per_work_and_character"),
        ("marketplace", "0002_generation_backend"),
        ("payments", "0004_balance_trigger_by_batch"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ledgerentry",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="payments.ledgeraccount",
                    ),
                ),
                migrations.AlterField(
                    model_name="revenueevent",
                    name="grant",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="licensing.grant",
                    ),
                ),
                migrations.AlterField(
                    model_name="revenueevent",
                    name="payer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="revenueevent",
                    name="work",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="marketplace.work",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_drop_fk_indexes, _create_fk_indexes)],
        ),
        migrations.AddIndex(
            model_name="revenueevent",
            index=models.Index(
                condition=models.Q(("work__isnull", False)),
                fields=["work"],
                name="revenue_event_work",
            ),
        ),
        migrations.AddIndex(
            model_name="revenueevent",
            index=models.Index(
                condition=models.Q(("grant__isnull", False)),
                fields=["grant"],
                name="revenue_event_grant",
            ),
        ),
        migrations.AddIndex(
            model_name="revenueevent",
            index=models.Index(
                condition=models.Q(("payer__isnull", False)),
                fields=["payer"],
                name="revenue_event_payer",
            ),
        ),
        migrations.AlterField(
            model_name="ledgertransaction",
            name="key",
            field=models.CharField(max_length=200),
        ),
        migrations.AddConstraint(
            model_name="ledgertransaction",
            constraint=models.UniqueConstraint(
                fields=("key",), name="ledger_transaction_unique_key"
            ),
        ),
    ]
