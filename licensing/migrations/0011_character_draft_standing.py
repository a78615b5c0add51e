"""Characters whose owner is not proven become drafts (issue 18): a studio character of
an organization staff have not verified, and every likeness (none has an approved
consent video yet). Their names stop screening anyone's prompts."""

from django.db import migrations, models
from django.db.models import Q


def drafts_for_unproven_owners(apps, schema_editor):
    Character = apps.get_model("licensing", "Character")
    unproven = Q(kind="likeness", likeness_verified_at__isnull=True) | (
        Q(kind="character") & ~Q(owner_organization__verification_status="verified")
    )
    Character.objects.filter(unproven, status="active").update(status="draft")


class Migration(migrations.Migration):
    dependencies = [
        ("licensing", "0010_grant_revoke"),
        ("accounts", "0003_notification_emailed_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="character",
            name="likeness_verified_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When staff approved the person's consent video; cleared when the "
                "reference images change. A likeness is a draft without it.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="character",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("active", "Active"),
                    ("suspended", "Suspended"),
                    ("archived", "Archived"),
                ],
                default="active",
                max_length=10,
            ),
        ),
        migrations.RunPython(drafts_for_unproven_owners, migrations.RunPython.noop),
    ]
