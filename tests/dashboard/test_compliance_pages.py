"""The compliance pages (dashboard/web/compliance_pages.py): a person's about their
likeness and the platform's, each with the decisions chart (allowed and refused per
day) and the refusals-per-reason chart, each chart with its table; the platform's with
how long claims and disputes took to resolve. Bad periods are a 400, never a 500;
another person's page and the platform's for non-staff are a 404."""

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from licensing import services
from marketplace import selectors as marketplace_selectors
from marketplace import services as marketplace_services
from marketplace.models import Claim, Dispute
from tests.builders import dispute_opened, verified_studio
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for, proven_likeness

pytestmark = pytest.mark.django_db


@pytest.fixture
def refused_likeness():
    """A person's likeness named in one refused prompt; another person's in another."""
    person = UserFactory()
    proven_likeness(person, "Aiko Tanaka")
    proven_likeness(UserFactory(), "Mei Suzuki")
    creator = UserFactory()
    services.policy_screen(creator=creator, prompt="Aiko Tanaka dances", character_ids=[])
    services.policy_screen(creator=creator, prompt="Mei Suzuki sings", character_ids=[])
    return person


def _period(days_before=1, days_after=1) -> dict:
    today = timezone.now().date()
    return {
        "from": str(today - timedelta(days=days_before)),
        "to": str(today + timedelta(days=days_after)),
    }


def test_a_persons_page_charts_only_the_decisions_about_their_likeness(client, refused_likeness):
    # given
    client.force_login(refused_likeness)

    # when
    response = client.get(
        reverse("dashboard:person_compliance", args=[refused_likeness.pk]), _period()
    )

    # then: one refused decision, drawn and tabled, with its reason
    assert response.status_code == 200
    decisions, reasons = response.context["decisions"], response.context["reasons"]
    assert (decisions["allowed"], decisions["refused"], decisions["unit"]) == (0, 1, "day")
    assert [row[2] for row in decisions["rows"]] == [0, 1]
    assert len(reasons["rows"]) == 1 and reasons["rows"][0][1] == 1
    html = response.content.decode()
    assert 'class="chart columns" role="img"' in html and 'class="chart bars" role="img"' in html
    assert html.count("Show as a table") == 2
    assert "Mei Suzuki" not in html


def test_the_platform_page_charts_every_decision_and_resolution_times(
    client, staff, refused_likeness
):
    # given
    client.force_login(staff)

    # when
    response = client.get(reverse("dashboard:platform_compliance"), _period())

    # then
    assert response.status_code == 200
    assert response.context["decisions"]["refused"] == 2
    assert sum(n for _, n in response.context["reasons"]["rows"]) >= 2
    kinds = [row["kind"] for row in response.context["resolution_times"]]
    assert kinds == ["claim", "dispute"]
    assert 'id="resolution-times"' in response.content.decode()


def test_a_long_period_is_drawn_per_week_or_month_not_per_day(client, staff):
    # given
    client.force_login(staff)
    url = reverse("dashboard:platform_compliance")

    # when
    weekly = client.get(url, _period(days_before=200))
    monthly = client.get(url, _period(days_before=3_000))

    # then
    assert weekly.context["decisions"]["unit"] == "week"
    assert len(weekly.context["decisions"]["rows"]) in (29, 30, 31)
    assert monthly.context["decisions"]["unit"] == "month"
    assert len(monthly.context["decisions"]["rows"]) <= 100


@pytest.mark.parametrize(
    "period",
    [
        {"from": "2026-12-01", "to": "2026-11-01"},  # reversed
        {"from": "0001-01-01", "to": "9999-12-31"},  # absurd
        {"from": "2026-02-30", "to": "2026-03-01"},  # impossible
        {"from": "yesterday", "to": "2026-03-01"},  # malformed
        {"from": "99999-01-01", "to": "2026-03-01"},
    ],
)
def test_a_bad_period_is_a_400_on_both_pages(client, staff, period):
    client.force_login(staff)

    platform = client.get(reverse("dashboard:platform_compliance"), period)
    person = client.get(reverse("dashboard:person_compliance", args=[staff.pk]), period)

    assert platform.status_code == 400 and person.status_code == 400
    assert 'role="alert"' in platform.content.decode()


@pytest.mark.parametrize(
    "period",
    [
        {"from": "0001-01-01", "to": "0002-01-01"},
        {"from": "9990-01-01", "to": "9999-12-31"},
        {"from": "9999-12-01", "to": "9999-12-31"},
    ],
)
def test_periods_at_the_ends_of_the_calendar_are_drawn(client, staff, period):
    client.force_login(staff)

    platform = client.get(reverse("dashboard:platform_compliance"), period)
    person = client.get(reverse("dashboard:person_compliance", args=[staff.pk]), period)

    assert platform.status_code == 200 and person.status_code == 200
    assert platform.context["decisions"]["rows"]


def test_another_persons_page_and_the_platforms_page_are_not_found(client, refused_likeness):
    client.force_login(UserFactory())

    other = client.get(reverse("dashboard:person_compliance", args=[refused_likeness.pk]))
    platform = client.get(reverse("dashboard:platform_compliance"))

    assert other.status_code == 404 and platform.status_code == 404


def test_the_overview_links_to_the_compliance_pages(client, staff):
    client.force_login(staff)

    html = client.get(reverse("dashboard:overview")).content.decode()

    assert reverse("dashboard:person_compliance", args=[staff.pk]) in html
    assert reverse("dashboard:platform_compliance") in html


def _resolved_disputes(hours: list[int]):
    """A studio's claims, each disputed and upheld, opened ``hours[i]`` before resolved."""
    organization, (owner,) = verified_studio()
    character = CharacterFactory(owner_organization=organization)
    staff = UserFactory(is_staff=True)
    now = timezone.now()
    for n in hours:
        creator = UserFactory()
        work = WorkFactory(creator=creator, grants=[grant_for(character, creator)])
        dispute = dispute_opened(work, character, claimant=owner, reason="Parody")
        marketplace_services.dispute_resolve(dispute=dispute, by=staff, uphold=True, note="")
        Dispute.objects.filter(pk=dispute.pk).update(
            created_at=now - timedelta(hours=n), resolved_at=now
        )
        Claim.objects.filter(pk=dispute.claim_id).update(
            created_at=now - timedelta(hours=2 * n), resolved_at=now
        )
    return organization


def test_resolution_times_are_the_p50_and_p90_per_kind():
    # given: disputes that took 10, 20 and 40 hours (their claims twice as long)
    organization = _resolved_disputes([10, 20, 40])
    _resolved_disputes([1_000])  # another claimant's
    today = timezone.now().date()
    start = datetime.combine(today - timedelta(days=1), time.min, tzinfo=UTC)

    # when
    own = marketplace_selectors.resolution_times(
        start=start, end=start + timedelta(days=3), organization=organization
    )
    everyone = marketplace_selectors.resolution_times(start=start, end=start + timedelta(days=3))

    # then: linear between ranks, as PostgreSQL's percentile_cont
    assert own == [
        {"kind": "claim", "resolved": 3, "p50_hours": 40.0, "p90_hours": 72.0},
        {"kind": "dispute", "resolved": 3, "p50_hours": 20.0, "p90_hours": 36.0},
    ]
    assert [row["resolved"] for row in everyone] == [4, 4]
    assert everyone[1]["p90_hours"] == 712.0


@pytest.mark.usefixtures("export_keys")
@pytest.mark.parametrize(
    "period",
    [
        {"from": "0001-01-01", "to": "0002-01-01"},
        {"from": "9990-01-01", "to": "9999-12-31"},
    ],
)
def test_downloads_at_the_ends_of_the_calendar_stream_their_resolution_times(client, staff, period):
    client.force_login(staff)

    platform = client.get(reverse("dashboard:platform_compliance_download"), period)
    person = client.get(reverse("dashboard:person_compliance_download", args=[staff.pk]), period)

    assert platform.status_code == 200 and person.status_code == 200
    report = json.loads(b"".join(platform.streaming_content))["report"]
    assert [row["resolved"] for row in report["resolution_times"]] == [0, 0]
    own = json.loads(b"".join(person.streaming_content))["report"]
    assert [row["kind"] for row in own["resolution_times"]] == ["claim", "dispute"]


@pytest.mark.usefixtures("export_keys")
def test_bad_periods_on_the_downloads_are_a_400_and_an_unknown_organization_a_404(client, staff):
    client.force_login(staff)
    reversed_period = {"from": "2026-12-01", "to": "2026-11-01"}

    platform = client.get(reverse("dashboard:platform_compliance_download"), reversed_period)
    person = client.get(
        reverse("dashboard:person_compliance_download", args=[staff.pk]), reversed_period
    )
    unknown = client.get(reverse("dashboard:compliance_download", args=["no-such-studio"]))

    assert (platform.status_code, person.status_code, unknown.status_code) == (400, 400, 404)


@pytest.mark.usefixtures("export_keys")
def test_an_organizations_export_carries_its_own_resolution_times(client):
    # given: its dispute took 10 hours, another claimant's 1,000
    organization = _resolved_disputes([10])
    _resolved_disputes([1_000])
    owner = organization.memberships.get().user
    client.force_login(owner)

    # when
    response = client.get(
        reverse("dashboard:compliance_download", args=[organization.slug]), _period()
    )

    # then
    report = json.loads(b"".join(response.streaming_content))["report"]
    assert report["resolution_times"] == [
        {"kind": "claim", "resolved": 1, "p50_hours": 20.0, "p90_hours": 20.0},
        {"kind": "dispute", "resolved": 1, "p50_hours": 10.0, "p90_hours": 10.0},
    ]
