from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0011_feed_entry_creator"),
    ]

    operations = [
        migrations.AddField(
            model_name="commentreport",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
