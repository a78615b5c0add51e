import csv
import io

import pytest
from django.urls import reverse

from core.money import Money
from payments import services
from tests.factories import CharacterFactory, MembershipFactory, UserFactory, WorkFactory, grant_for

pytestmark = pytest.mark.django_db


def _earning_creator():
    hoshi = CharacterFactory()
    creator = UserFactory()
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(hoshi, creator, rev_share_bps=1_000, commercial_use=True)],
    )
    for n in range(3):
        event, _ = services.revenue_event_record(
            kind="tip", source="stripe", external_id=f"pi_{n}", money=Money(1_000, "USD"), work=work
        )
        services.revenue_event_settle(event=event)
    return creator, hoshi


def test_earnings_page_shows_balances_statement_and_a_chart(client):
    creator, _ = _earning_creator()
    client.force_login(creator)

    html = client.get(reverse("payments:earnings")).content.decode()

    assert 'data-balance="pending"' in html and "$24.00" in html  # 3 x 80% of $10
    assert "<svg" in html and "Earnings per day in USD, last 30 days: $24.00 in total" in html
    assert html.count('<td class="num') >= 3


def test_statement_filters_and_exports_csv(client):
    creator, _ = _earning_creator()
    services.ledger_release_pending()
    client.force_login(creator)

    pending = client.get(reverse("payments:earnings"), {"kind": "available", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(pending.streaming_content).decode())))

    assert pending["Content-Type"].startswith("text/csv")
    assert rows[0][:4] == ["date", "account", "amount_minor", "currency"]
    assert {r[1] for r in rows[1:]} == {"available"}
    assert sum(int(r[2]) for r in rows[1:]) == 2_400


def test_organization_earnings_are_for_members_only(client):
    _, hoshi = _earning_creator()
    organization = hoshi.owner_organization
    member = MembershipFactory(organization=organization, role="viewer").user
    outsider = UserFactory()

    client.force_login(member)
    mine = client.get(reverse("payments:earnings"), {"org": organization.slug})
    client.force_login(outsider)
    theirs = client.get(reverse("payments:earnings"), {"org": organization.slug})

    assert mine.status_code == 200 and "$3.00" in mine.content.decode()  # 3 x 10% of $10
    assert theirs.status_code == 404


def test_a_member_without_personal_earnings_is_pointed_to_the_organization(client):
    _, hoshi = _earning_creator()
    organization = hoshi.owner_organization
    member = MembershipFactory(organization=organization, role="viewer").user

    client.force_login(member)
    html = client.get(reverse("payments:earnings")).content.decode()

    assert "No earnings yet." in html
    assert f'href="?org={organization.slug}">{organization.name}</a>' in html


def test_balance_and_ledger_api_show_only_your_own_money(api_client):
    creator, hoshi = _earning_creator()
    api_client.force_authenticate(creator)

    balance = api_client.get("/api/v1/balance/").json()
    ledger = api_client.get("/api/v1/ledger/").json()
    api_client.force_authenticate(UserFactory())
    other = api_client.get("/api/v1/ledger/", {"organization": hoshi.owner_organization.slug})

    assert balance == [{"kind": "pending", "currency": "USD", "amount": 2_400}]
    assert ledger["count"] == 3
    assert other.status_code == 404


def test_connect_page_explains_before_sending_anyone_to_stripe(client, user):
    client.force_login(user)

    html = client.get(reverse("payments:connect")).content.decode()

    assert "Connect with Stripe" in html


def test_webhook_with_a_bad_signature_is_refused(api_client):
    response = api_client.post(
        "/api/v1/webhooks/stripe/",
        data=b"{}",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=deadbeef",
    )

    assert response.status_code == 400
