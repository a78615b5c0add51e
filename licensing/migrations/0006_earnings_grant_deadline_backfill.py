"""Licence requests already waiting for their rightsholder get a deadline counted from
now (their offer's review hours), so that they too are declined if nobody decides."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

DEFAULT_HOURS = 72


def backfill(apps, schema_editor):
    Grant = apps.get_model("licensing", "Grant")
    now = timezone.now()
    waiting = Grant.objects.filter(status="pending_approval", approval_deadline__isnull=True)
    for grant in waiting.select_related("offer").iterator(chunk_size=500):
        hours = (grant.offer.terms or {}).get("approval_deadline_hours") or DEFAULT_HOURS
        grant.approval_deadline = now + timedelta(hours=hours)
        grant.save(update_fields=["approval_deadline"])


class Migration(migrations.Migration):

    dependencies = [
        ("licensing", "0005_earnings_grant_approval_deadline"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
