"""The feed entry's creator (the Following tab's query reads it with an index on
(creator, published_at, work)), filled from the works in one UPDATE.

The index is made before the UPDATE: made after it, in the same transaction, it would
find the rows' HOT chains broken and stay unused by any query whose snapshot is older
than the migration (``pg_index.indcheckxmin``), which a long transaction elsewhere in
the cluster keeps for as long as it runs."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BACKFILL = """
    UPDATE marketplace_feedentry AS e SET creator_id = w.creator_id
    FROM marketplace_work AS w WHERE w.id = e.work_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0010_work_counters"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="feedentry",
            name="creator",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="feedentry",
            index=models.Index(
                fields=["creator", "-published_at", "-work"], name="marketplace_feed_creator"
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="feedentry",
            name="creator",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
