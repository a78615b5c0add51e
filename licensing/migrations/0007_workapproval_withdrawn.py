"""A review whose video was deleted while it waited is withdrawn, not left pending: the
approvals queue, the dashboard's pending count and the admin all read the status
alone. Reviews already left pending on deleted videos are withdrawn here."""

from django.db import migrations, models
from django.utils import timezone


def withdraw_reviews_of_deleted_works(apps, schema_editor):
    WorkApproval = apps.get_model("licensing", "WorkApproval")
    now = timezone.now()
    WorkApproval.objects.filter(status="pending", work__status="deleted").update(
        status="withdrawn", decided_at=now, updated_at=now
    )


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0006_catalog_search_trigram_indexes"),
        ("marketplace", "0002_generation_backend"),
    ]

    operations = [
        migrations.AlterField(
            model_name="workapproval",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("approved", "Approved"),
                    ("denied", "Denied"),
                    ("expired", "Expired (not reviewed in time)"),
                    ("withdrawn", "Withdrawn (the video was deleted)"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.RunPython(withdraw_reviews_of_deleted_works, migrations.RunPython.noop),
    ]
