"""Grants accepted before the per-generation fee was part of price protection agreed to
their version's fee by accepting it: record it, so that every grant states every price
it pays (versions are immutable, so the grant's own version is the price it pays)."""

from django.db import migrations
from django.db.models import BigIntegerField, OuterRef, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce


def backfill(apps, schema_editor):
    Grant = apps.get_model("licensing", "Grant")
    Offer = apps.get_model("licensing", "Offer")
    fee = (
        Offer.objects.filter(pk=OuterRef("offer_id"))
        .annotate(fee=Cast(KT("terms__per_generation_fee"), BigIntegerField()))
        .values("fee")[:1]
    )
    Grant.objects.update(max_generation_fee=Coalesce(Subquery(fee), 0))


class Migration(migrations.Migration):

    dependencies = [
        ("licensing", "0008_grant_max_generation_fee"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
