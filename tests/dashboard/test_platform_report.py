"""The platform compliance report (dashboard/platform_report.py): across every
rightsholder, what was refused and why (per reason, character kind, country), how
rightsholders were consulted, how disputes were resolved and in what time, and what
staff did; signed like any export, and for staff only."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from licensing import services
from marketplace import services as marketplace_services
from tests.builders import dispute_opened, pending_studio, verified_studio
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for, proven_likeness

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("export_keys")]


@pytest.fixture
def platform_month(staff):
    # decisions: one allowed in Japan, one refused naming a likeness
    proven_likeness(UserFactory(), "Aiko Tanaka")
    organization, (owner,) = verified_studio()
    hoshi = CharacterFactory(name="Hoshi-chan", owner_organization=organization)
    creator = UserFactory()
    grant_for(hoshi, creator)
    services.policy_screen(
        creator=creator, prompt="Hoshi-chan sings", character_ids=[hoshi.pk], territory="JP"
    )
    services.policy_screen(creator=creator, prompt="Aiko Tanaka dances", character_ids=[])
    # a dispute staff settle, and an organization staff verify
    work = WorkFactory(creator=creator, grants=[grant_for(hoshi, creator)])
    dispute = dispute_opened(work, hoshi, claimant=owner, reason="Parody")
    marketplace_services.dispute_resolve(dispute=dispute, by=staff, uphold=True, note="Upheld")
    studio, _ = pending_studio()
    accounts_services.organization_verify(organization=studio, by=staff)
    return dispute


def test_the_platform_report_totals_decisions_disputes_and_staff_actions(
    platform_month, staff, tmp_path
):
    # given
    today = timezone.now().date()
    path = tmp_path / "platform.json"

    # when
    call_command(
        "export_compliance",
        "--platform",
        "--from",
        str(today - timedelta(days=1)),
        "--to",
        str(today + timedelta(days=1)),
        "--output",
        str(path),
        stderr=StringIO(),
    )
    document = json.loads(path.read_bytes())
    report = document["report"]

    # then: what was refused and why, per kind and country
    totals = {
        (r["dimension"], r["key"]): (r["allowed"], r["refused"]) for r in report["decision_totals"]
    }
    assert totals[("all", "")] == (1, 1)
    assert totals[("country", "JP")] == (1, 0)
    assert totals[("character_kind", "character")] == (1, 0)
    assert totals[("character_kind", "likeness")] == (0, 1)
    assert any(dim == "reason" and refused == 1 for (dim, _), (_, refused) in totals.items())
    # how rightsholders were consulted and disputes resolved, and what staff did
    actions = {r["action"]: r["count"] for r in report["action_totals"]}
    assert actions["dispute.upheld"] == 1 and actions["organization.verified"] == 1
    [dispute] = report["disputes"]
    assert (dispute["id"], dispute["status"], dispute["settled_by"]) == (
        str(platform_month.pk),
        "upheld",
        "staff",
    )
    assert dispute["hours_to_resolve"] >= 0
    staff_actions = [a["action"] for a in report["staff_actions"]]
    assert {"dispute.upheld", "organization.verified"} <= set(staff_actions)
    assert document["manifest"]["report"] == "platform"
    assert document["manifest"]["audit_head"]["streams"] >= 3
    out = StringIO()
    call_command("audit_verify_export", str(path), stdout=out)
    assert out.getvalue().startswith("VALID: platform report")


def test_the_platform_report_is_for_staff_only(platform_month, staff, client):
    url = reverse("dashboard:platform_compliance_download")
    client.force_login(UserFactory())
    refused = client.get(url)
    client.force_login(staff)
    given = client.get(url, {"format": "csv"})

    assert refused.status_code == 404
    assert given.status_code == 200
    body = b"".join(given.streaming_content).decode()
    assert body.startswith("record_type,field,value,record")
    assert "disputes,settled_by,staff,0" in body
