"""Withdraw on demand: the earnings page's button and ``POST /api/v1/payouts/`` pay the
available balance out now, through the same reserve, transfer key and webhook as the
hourly run; the page says when the next run is, the minimum, and why it cannot pay."""

import json
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import OutboxMessage
from core.money import Money
from payments import services
from payments.enums import AccountKind
from payments.models import ConnectedAccount, LedgerTransaction, Payout
from payments.selectors_payouts import payout_next_run, payout_outlook
from tests.builders import dispute_opened, tip_settled
from tests.factories import (
    CharacterFactory,
    MembershipFactory,
    UserFactory,
    WorkFactory,
    grant_for,
)
from tests.payments.conftest import creator_with_available


def _available(owner, currency="USD") -> int:
    return (
        services.balances_for(owner=owner)
        .get((AccountKind.AVAILABLE, currency), Money(0, currency))
        .amount
    )


def _earning(creator, amount=5_000, external_id="pi_withdraw"):
    """``creator`` earns 90% of a tip of ``amount``, released to available."""
    work = WorkFactory(
        creator=creator, grants=[grant_for(CharacterFactory(), creator, commercial_use=True)]
    )
    tip_settled(work, external_id, amount=amount)
    services.ledger_release_pending()
    return work


def _connected(owner_field, *, enabled=True, account_id="acct_withdraw"):
    return ConnectedAccount.objects.create(
        stripe_account_id=account_id, payouts_enabled=enabled, **owner_field
    )


# --- end to end, with the Stripe fake ----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_withdraw_on_the_earnings_page_pays_the_available_balance_once(client, fake_stripe):
    # given: a connected creator with $45.00 available
    creator, connected, _ = creator_with_available(client, fake_stripe)
    client.force_login(creator)
    page = client.get(reverse("payments:earnings")).content.decode()
    assert "data-due>$45.00<" in page
    assert '<button type="submit">Withdraw $45.00</button>' in page

    # when: Withdraw, then Withdraw again (a double click)
    first = client.post(reverse("payments:withdraw"), follow=True)
    fake_stripe.wait_for_deliveries()
    second = client.post(reverse("payments:withdraw"), follow=True)

    # then: one payout, one transfer with the payout's key, confirmed by the webhook
    payout = Payout.objects.get(connected_account=connected)
    assert payout.status == "paid" and payout.amount == 4_500
    assert [r.idempotency_key for r in fake_stripe.requests_to("POST", "/v1/transfers")] == [
        f"payout-{payout.pk}"
    ]
    assert _available(creator) == 0
    assert "Withdrawal of $45.00 requested" in first.content.decode()
    text = second.content.decode()
    assert "Nothing was withdrawn: Nothing is available to pay out yet" in text
    assert 'data-reason="below_minimum"' in text and "disabled" in text
    assert '<td class="num">$45.00</td><td><span class="badge payout-paid">Paid' in text
    assert LedgerTransaction.objects.filter(kind="payout.reserve").count() == 1


@pytest.mark.django_db(transaction=True)
def test_withdraw_through_the_api_then_the_same_request_again_is_a_409(client, fake_stripe):
    creator, _connected, _ = creator_with_available(client, fake_stripe)
    api = _api_client(creator)

    made = api.post("/api/v1/payouts/", format="json")
    fake_stripe.wait_for_deliveries()
    again = api.post("/api/v1/payouts/", format="json")

    assert made.status_code == 201, made.content
    [body] = made.json()
    assert (body["amount"], body["currency"], body["status"]) == (4_500, "USD", "created")
    assert Payout.objects.get(pk=body["id"]).status == "paid"
    assert again.status_code == 409
    assert again.json()["code"] == "below_minimum"
    assert len(fake_stripe.transfers) == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_withdrawals_make_one_payout(fake_stripe, live_server, client):
    # given: two HTTP requests for the same balance, sent at the same moment
    creator, connected, _ = creator_with_available(client, fake_stripe)
    token = Token.objects.create(user=creator).key
    start = threading.Barrier(2)
    answers: list[tuple[int, dict]] = []

    def withdraw() -> None:
        request = urllib.request.Request(  # noqa: S310 - the live server, over http
            f"{live_server.url}/api/v1/payouts/",
            data=b"",
            method="POST",
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        start.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                answers.append((response.status, json.loads(response.read())))
        except urllib.error.HTTPError as exc:
            answers.append((exc.code, json.loads(exc.read())))

    # when
    threads = [threading.Thread(target=withdraw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    fake_stripe.wait_for_deliveries()

    # then: one 201 with the payout, one 409 naming why, one transfer, money moved once
    assert sorted(status for status, _ in answers) == [201, 409], answers
    refused = next(body for status, body in answers if status == 409)
    assert refused["code"] in ("payout_in_progress", "below_minimum")
    payout = Payout.objects.get(connected_account=connected)
    assert payout.status == "paid" and payout.amount == 4_500
    assert len(fake_stripe.transfers) == 1
    assert LedgerTransaction.objects.filter(kind="payout.reserve").count() == 1
    assert _available(creator) == 0


# --- refusals and what the page says ------------------------------------------------------


def _api_client(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setup", "code", "page_text"),
    [
        ("none", "no_connected_account", "Connect your bank account to be paid."),
        ("not_enabled", "payouts_not_enabled", "Stripe has not confirmed your bank details yet"),
        ("small", "below_minimum", "Your available balance ($4.50) is below the $10.00 minimum"),
    ],
)
def test_a_withdrawal_that_cannot_pay_is_refused_with_its_reason(client, setup, code, page_text):
    # given
    creator = UserFactory()
    _earning(creator, amount=500 if setup == "small" else 5_000)
    if setup != "none":
        _connected({"user": creator}, enabled=setup != "not_enabled")
    client.force_login(creator)

    # when
    api = _api_client(creator).post("/api/v1/payouts/")
    web = client.post(reverse("payments:withdraw"), follow=True).content.decode()
    page = client.get(reverse("payments:earnings")).content.decode()

    # then: the API's 409 and the page name the same reason; the button is disabled
    assert api.status_code == 409
    assert api.json()["code"] == code and page_text in api.json()["detail"]
    assert f"Nothing was withdrawn: {page_text}" in web
    assert f'data-reason="{code}"' in page and page_text in page
    assert '<button type="submit" disabled aria-describedby="withdraw-why">Withdraw' in page
    assert not Payout.objects.exists()


@pytest.mark.django_db
def test_a_payout_still_being_made_blocks_a_second_one(client):
    creator = UserFactory()
    _earning(creator)
    _connected({"user": creator})
    api = _api_client(creator)

    first = api.post("/api/v1/payouts/")  # its transfer is sent after commit (not here)
    second = api.post("/api/v1/payouts/")

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json() == {
        "code": "payout_in_progress",
        "detail": "A payout of $45.00 is on its way.",
        "field": None,
    }
    assert Payout.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_leaves_the_payout_to_the_outbox(client, broker_down):
    # given: the broker is down
    creator = UserFactory()
    _earning(creator)
    _connected({"user": creator})
    client.force_login(creator)

    # when
    response = client.post(reverse("payments:withdraw"), follow=True)

    # then: the person is told it is on its way, and the payout waits, money reserved,
    # its transfer task kept unsent in the outbox for the relay
    assert "Withdrawal of $45.00 requested" in response.content.decode()
    payout = Payout.objects.get()
    assert payout.status == "created"
    assert _available(creator) == 0
    message = OutboxMessage.objects.get(task_name="payments.payout_submit")
    assert message.args == [str(payout.pk)]
    assert message.sent_at is None and message.attempts == 1 and message.last_error


@pytest.mark.django_db
def test_an_organizations_earnings_are_withdrawn_by_an_owner_only(client):
    # given: a studio earning 30% of a $50 tip, released to available
    character = CharacterFactory()
    studio = character.owner_organization
    owner = MembershipFactory(organization=studio, role="owner").user
    manager = MembershipFactory(organization=studio, role="manager").user
    creator = UserFactory()
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(character, creator, rev_share_bps=3_000, commercial_use=True)],
    )
    tip_settled(work, "pi_studio", amount=5_000)
    services.ledger_release_pending()
    _connected({"organization": studio}, account_id="acct_studio")
    stranger = UserFactory()

    # when
    as_manager = _api_client(manager).post(f"/api/v1/payouts/?organization={studio.slug}")
    as_stranger = _api_client(stranger).post(f"/api/v1/payouts/?organization={studio.slug}")
    client.force_login(manager)
    manager_page = client.get(reverse("payments:earnings"), {"org": studio.slug})
    manager_web = client.post(reverse("payments:withdraw"), {"org": studio.slug})
    as_owner = _api_client(owner).post(f"/api/v1/payouts/?organization={studio.slug}")

    # then
    assert as_manager.status_code == 403
    assert as_manager.json()["code"] == "permission_denied"
    assert as_stranger.status_code == 404
    assert manager_web.status_code == 403
    assert "Only an owner can withdraw" in manager_page.content.decode()
    assert as_owner.status_code == 201
    assert [p["amount"] for p in as_owner.json()] == [1_500]
    assert Payout.objects.get().connected_account.organization == studio


@pytest.mark.django_db
def test_the_page_says_when_the_next_payout_runs_and_what_a_dispute_holds(client):
    # given: a creator whose disputed video earned a tip that waits in escrow
    creator = UserFactory()
    character = CharacterFactory()
    work = WorkFactory(creator=creator, grants=[grant_for(character, creator, commercial_use=True)])
    dispute_opened(
        work,
        character,
        claimant=MembershipFactory(organization=character.owner_organization).user,
        reason="It is soda.",
    )
    tip_settled(work, "pi_disputed", amount=2_000)
    client.force_login(creator)

    # when: at 10:12 UTC (the run is at minute 5 of every hour)
    with time_machine.travel(datetime(2026, 4, 5, 10, 12, tzinfo=UTC), tick=False):
        page = client.get(reverse("payments:earnings")).content.decode()
        outlook = payout_outlook(owner=creator)

    # then
    assert '<time datetime="2026-04-05T11:05:00+00:00">' in page
    assert "data-minimum>$10.00<" in page
    assert 'data-reason="held_by_dispute"' in page
    assert "$18.00 of revenue on disputed videos is held in escrow" in page
    assert outlook.held == [Money(1_800, "USD")]


def test_the_next_payout_follows_the_beat_schedule():
    at = datetime(2026, 4, 5, 23, 59, tzinfo=UTC)
    assert payout_next_run(now=at) == datetime(2026, 4, 6, 0, 5, tzinfo=UTC)
    assert payout_next_run(now=datetime(2026, 4, 5, 10, 3, tzinfo=UTC)) == datetime(
        2026, 4, 5, 10, 5, tzinfo=UTC
    )
