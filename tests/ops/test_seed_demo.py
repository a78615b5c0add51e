import pytest
from django.core.management import call_command

from licensing.models import Character, Grant, Offer

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_catalog_and_is_idempotent(capsys):
    call_command("seed_demo")
    counts = (Character.objects.count(), Offer.objects.count(), Grant.objects.count())

    call_command("seed_demo")

    assert (Character.objects.count(), Offer.objects.count(), Grant.objects.count()) == counts
    assert counts[0] >= 4
    assert Character.objects.filter(kind="likeness").count() == 1
    assert all(c.images.exists() for c in Character.objects.all())
    assert Offer.objects.filter(status="published").count() == counts[0]
    assert "creator@cocreate.test" in capsys.readouterr().out
