"""The feed's read model (marketplace/services/feed.py): one entry per published work,
read newest first by a B-tree on (published_at, work). Fill it with
``manage.py read_models_rebuild`` after migrating."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0008_comments")]

    operations = [
        migrations.CreateModel(
            name="FeedEntry",
            fields=[
                (
                    "work",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="feed_entry",
                        serialize=False,
                        to="marketplace.work",
                    ),
                ),
                ("published_at", models.DateTimeField(null=True)),
                ("payload", models.JSONField()),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["-published_at", "-work_id"],
                "indexes": [
                    models.Index(
                        fields=["-published_at", "-work"], name="marketplace_feed_order"
                    )
                ],
            },
        ),
    ]
