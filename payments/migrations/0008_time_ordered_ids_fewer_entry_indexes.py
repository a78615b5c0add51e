"""Fewer index pages touched per posting, measured with ``bench/settlement.py``.

- Ledger transactions and revenue events get time-ordered ids (UUIDv7, the ``uuid6``
  package). A new transaction's id, its entries' references to it and its key
  (``revenue:<event id>``) now land at the right edge of their indexes instead of on a
  random page, and the bulk settlement, which claims events in id order, reads the
  events table page after page. Existing ids are left as they are.
- The entries' ``work_id`` loses its index: the one query by work
  (``payments.selectors_stats.revenue_by_work``) reaches the owners' entries through
  the (account, created_at) index first, and the index cost every posting 4.5 inserts.
- ``created_at`` of entries and transactions gets the database default (the statement's
  timestamp), so the bulk path's COPY leaves the column out instead of having a
  timestamp parsed for every row. The ORM still sets it (``auto_now_add``).

With migration 0007, a million events went from 156 s to 79 s on this machine (2 cores,
two settlers side by side).
"""

import django.db.models.functions.datetime
import uuid6
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0007_ledger_checks_per_statement'),
    ]

    operations = [
        migrations.AlterField(
            model_name='ledgerentry',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, db_default=django.db.models.functions.datetime.Now()),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='work_id',
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='ledgertransaction',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, db_default=django.db.models.functions.datetime.Now(), db_index=True),
        ),
        migrations.AlterField(
            model_name='ledgertransaction',
            name='id',
            field=models.UUIDField(default=uuid6.uuid7, editable=False, primary_key=True, serialize=False),
        ),
        migrations.AlterField(
            model_name='revenueevent',
            name='id',
            field=models.UUIDField(default=uuid6.uuid7, editable=False, primary_key=True, serialize=False),
        ),
    ]
