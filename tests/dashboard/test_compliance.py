"""The compliance report (dashboard/compliance.py): the export command holds exactly one
organization's records, as JSON or CSV, and the download is for its members only."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from licensing import services
from tests.builders import claim_filed, tip_settled
from tests.factories import CharacterFactory, UserFactory, WorkFactory, editor_of, grant_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("export_keys")]


@pytest.fixture
def claimed_setting():
    """A studio's character in a creator's published work, licensed at 10%."""
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(hoshi, creator, rev_share_bps=1_000, commercial_use=True)],
    )
    return hoshi, creator, work, editor_of(hoshi)


def test_the_compliance_export_holds_exactly_the_organizations_records(claimed_setting):
    hoshi, creator, work, studio_owner = claimed_setting
    studio = hoshi.owner_organization
    claim_filed(work, hoshi, studio_owner)
    services.policy_screen(creator=creator, prompt="Hoshi-chan sings", character_ids=[hoshi.pk])
    tip_settled(work, f"pi_{work.pk}_1", amount=1_000)
    # and: another studio's activity in the same period
    kuro = CharacterFactory(name="Kuro")
    other_creator = UserFactory()
    other_work = WorkFactory(
        creator=other_creator,
        grants=[grant_for(kuro, other_creator, rev_share_bps=500, commercial_use=True)],
    )
    services.policy_screen(creator=other_creator, prompt="Kuro naps", character_ids=[kuro.pk])
    tip_settled(other_work, f"pi_{other_work.pk}_1", amount=1_000)
    start = (timezone.now() - timedelta(days=1)).date().isoformat()
    end = (timezone.now() + timedelta(days=1)).date().isoformat()

    out = StringIO()
    call_command(
        "export_compliance",
        "--org",
        studio.slug,
        "--from",
        start,
        "--to",
        end,
        "--format",
        "json",
        stdout=out,
    )
    report = json.loads(out.getvalue())["report"]

    assert [c["name"] for c in report["characters"]] == ["Hoshi-chan"]
    assert (
        len(report["policy_decisions"]) == 1
        and report["policy_decisions"][0]["prompt"] == "Hoshi-chan sings"
    )
    assert [g["character"] for g in report["grants"]] == [str(hoshi.pk)]
    assert [w["id"] for w in report["works"]] == [str(work.pk)]
    assert [c["work"] for c in report["claims"]] == [str(work.pk)]
    assert [r["amount"] for r in report["revenue"]] == [100]
    assert str(kuro.pk) not in out.getvalue() and str(other_work.pk) not in out.getvalue()
    csv_out = StringIO()
    call_command(
        "export_compliance",
        "--org",
        studio.slug,
        "--from",
        start,
        "--to",
        end,
        "--format",
        "csv",
        stdout=csv_out,
    )
    assert csv_out.getvalue().splitlines()[0] == "record_type,field,value,record"
    assert "claims,policy,track,0" in csv_out.getvalue()


def test_the_compliance_download_is_for_members_only(claimed_setting, client):
    hoshi, *_ = claimed_setting
    url = reverse("dashboard:compliance_download", args=[hoshi.owner_organization.slug])
    client.force_login(editor_of(hoshi))
    mine = client.get(url, {"format": "json"})
    mine_json = json.loads(b"".join(mine.streaming_content))
    client.force_login(UserFactory())
    theirs = client.get(url)

    assert (
        mine.status_code == 200
        and mine_json["report"]["organization"]["slug"] == hoshi.owner_organization.slug
    )
    assert theirs.status_code == 404
