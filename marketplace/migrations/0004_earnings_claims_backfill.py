"""Claims already waiting for staff review waited because the video does not license
the character (the only reason there was): say so in their review reason."""

from django.db import migrations


def backfill(apps, schema_editor):
    Claim = apps.get_model("marketplace", "Claim")
    waiting = Claim.objects.filter(status="staff_review", review_reason="")
    for claim in waiting.select_related("character").iterator(chunk_size=500):
        claim.review_reason = f"this video does not license {claim.character.name}"[:300]
        claim.save(update_fields=["review_reason"])


class Migration(migrations.Migration):

    dependencies = [
        ("marketplace", "0003_earnings_claims"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
