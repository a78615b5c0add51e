"""Per-generation fees are secured before any work: held from the wallet when the
request is made (402 when it cannot be), captured once when the work publishes,
released once when the request ends any other way. A person's balance never goes
below zero, which PostgreSQL itself refuses."""

import threading
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from core.errors import InsufficientFunds
from core.money import Money
from marketplace import services as marketplace_services
from marketplace.enums import GenerationStatus
from marketplace.models import GenerationRequest
from payments import services
from payments.enums import AccountKind
from payments.models import FeeHold, LedgerTransaction, RevenueEvent
from payments.services.ledger import Line, account_for, ledger_post, platform_account
from tests.factories import CharacterFactory, UserFactory, fund_wallet, grant_for

pytestmark = pytest.mark.django_db


def _balance(owner, kind, currency="USD") -> int:
    return services.balance(account=account_for(owner=owner, kind=kind, currency=currency)).amount


def _request(creator, characters, prompt="Hoshi-chan waves"):
    return marketplace_services.generation_request_create(
        creator=creator,
        prompt=prompt,
        character_ids=[c.pk for c in characters],
        enqueue=False,
        backend="local",
    )


def _to(request, *statuses):
    for status in statuses:
        marketplace_services.generation_transition(request_id=request.pk, to=status)


@pytest.fixture
def hoshi():
    return CharacterFactory(name="Hoshi-chan")


def test_a_request_holds_its_fees_from_the_wallet_and_publishing_captures_them_once(hoshi):
    creator = UserFactory()
    grant_for(hoshi, creator, per_generation_fee=50)
    fund_wallet(creator, 120)

    request = _request(creator, [hoshi])

    hold = FeeHold.objects.get(request_id=request.pk)
    assert (hold.amount, hold.from_wallet, hold.status) == (50, 50, "held")
    assert _balance(creator, AccountKind.WALLET) == 70
    assert _balance(creator, AccountKind.HOLD) == 50

    # when: the check allows it and the work publishes
    marketplace_services.generation_check(request_id=request.pk)
    _to(request, GenerationStatus.SIGNING, GenerationStatus.PUBLISHED)
    services.fee_holds_capture(request_id=request.pk)  # a redelivered event: nothing more

    hold.refresh_from_db()
    assert hold.status == "captured"
    assert _balance(creator, AccountKind.HOLD) == 0
    assert _balance(creator, AccountKind.WALLET) == 70
    fee = RevenueEvent.objects.get(kind="generation_fee")
    assert (fee.amount, fee.status, fee.payer_id) == (50, "settled", creator.pk)
    assert _balance(hoshi.owner_organization, AccountKind.PENDING) == 45
    assert services.ledger_totals() == {"USD": 0}


@pytest.mark.parametrize(
    "ending",
    ["refused_by_check", "failed_render", "approval_denied"],
)
def test_a_request_that_ends_without_a_work_gives_its_fees_back_once(hoshi, ending):
    creator = UserFactory()
    terms = {"per_generation_fee": 50}
    if ending == "refused_by_check":
        terms["banned_words"] = ["storm"]
    grant_for(hoshi, creator, **terms)
    fund_wallet(creator, 50)
    request = _request(creator, [hoshi], prompt="Hoshi-chan in a storm")
    assert _balance(creator, AccountKind.WALLET) == 0

    if ending == "refused_by_check":
        marketplace_services.generation_check(request_id=request.pk)
    elif ending == "failed_render":
        marketplace_services.generation_check(request_id=request.pk)
        marketplace_services.generation_fail(request_id=request.pk, reason="the renderer crashed")
    else:
        marketplace_services.generation_check(request_id=request.pk)
        _to(request, GenerationStatus.SIGNING, GenerationStatus.AWAITING_APPROVAL)
        _to(request, GenerationStatus.REFUSED)
    services.fee_holds_release(request_id=request.pk, reason="again")  # a retry: nothing

    request.refresh_from_db()
    assert request.status in ("refused", "failed")
    assert FeeHold.objects.get(request_id=request.pk).status == "released"
    assert _balance(creator, AccountKind.WALLET) == 50
    assert _balance(creator, AccountKind.HOLD) == 0
    assert not RevenueEvent.objects.filter(kind="generation_fee").exists()
    assert LedgerTransaction.objects.filter(key__startswith="hold-release:").count() == 1


def test_without_funds_the_request_is_refused_before_any_work_with_the_amount_missing(hoshi):
    creator = UserFactory()
    grant_for(hoshi, creator, per_generation_fee=10_000_000)
    fund_wallet(creator, 45)

    with pytest.raises(InsufficientFunds) as refused:
        _request(creator, [hoshi])

    assert refused.value.shortfall == 10_000_000 - 45
    assert "$100,000.00" in refused.value.detail and "$99,999.55" in refused.value.detail
    assert not GenerationRequest.objects.exists()
    assert _balance(creator, AccountKind.WALLET) == 45
    assert _balance(hoshi.owner_organization, AccountKind.PENDING) == 0


def test_the_api_answers_402_insufficient_funds_with_the_shortfall(api_client, hoshi):
    creator = UserFactory()
    grant_for(hoshi, creator, per_generation_fee=50)
    api_client.force_authenticate(creator)

    response = api_client.post(
        "/api/v1/generations/",
        {"prompt": "Hoshi-chan waves", "character_ids": [str(hoshi.pk)]},
        format="json",
    )

    assert response.status_code == 402
    body = response.json()
    assert (body["code"], body["shortfall"], body["currency"]) == ("insufficient_funds", 50, "USD")
    assert body["top_up_url"].endswith("/earnings/#wallet")
    assert not GenerationRequest.objects.exists()


def test_the_studio_refuses_with_the_amount_missing_and_a_link_to_top_up(client, hoshi):
    creator = UserFactory()
    grant_for(hoshi, creator, per_generation_fee=250)
    client.force_login(creator)

    page = client.post(
        reverse("marketplace:studio"),
        {
            "prompt": "Hoshi-chan waves",
            "characters": [str(hoshi.pk)],
            "duration_s": 5,
            "rating": "all_ages",
        },
    )

    assert page.status_code == 200
    text = page.content.decode()
    assert "Nothing was generated" in text and "top up at least $2.50" in text
    assert reverse("payments:earnings") + "#wallet" in text
    assert not GenerationRequest.objects.exists()


def test_earnings_pay_what_the_wallet_cannot_only_when_the_creator_opted_in(hoshi):
    creator = UserFactory()
    grant_for(hoshi, creator, per_generation_fee=100)
    fund_wallet(creator, 30)
    clearing = platform_account(kind=AccountKind.STRIPE_CLEARING, currency="USD")
    available = account_for(owner=creator, kind=AccountKind.AVAILABLE, currency="USD")
    ledger_post(
        key="earned",
        kind="test",
        lines=[Line(clearing, Money(-500, "USD")), Line(available, Money(500, "USD"))],
    )
    with pytest.raises(InsufficientFunds):
        _request(creator, [hoshi])

    services.wallet_settings_set(user=creator, fees_from_earnings=True)
    request = _request(creator, [hoshi])

    hold = FeeHold.objects.get(request_id=request.pk)
    assert (hold.from_wallet, hold.from_earnings) == (30, 70)
    assert _balance(creator, AccountKind.AVAILABLE) == 430
    marketplace_services.generation_fail(request_id=request.pk, reason="crashed")
    assert _balance(creator, AccountKind.AVAILABLE) == 500
    assert _balance(creator, AccountKind.WALLET) == 30


def test_a_prompt_naming_another_licensed_character_grows_the_hold_or_is_refused(hoshi):
    kuro = CharacterFactory(name="Kuro Neko")
    creator = UserFactory()
    grant_for(hoshi, creator, per_generation_fee=50)
    grant_for(kuro, creator, per_generation_fee=70)
    fund_wallet(creator, 100)

    # the request asks only for Hoshi-chan (50 held); the prompt also names Kuro Neko
    request = _request(creator, [hoshi], prompt="Hoshi-chan chases Kuro Neko")
    marketplace_services.generation_check(request_id=request.pk)

    request.refresh_from_db()
    assert request.status == "refused"
    assert request.reasons[-1]["code"] == "insufficient_funds"
    assert "top up at least $0.20" in request.reason
    assert _balance(creator, AccountKind.WALLET) == 100

    fund_wallet(creator, 20)
    request = _request(creator, [hoshi], prompt="Hoshi-chan chases Kuro Neko")
    marketplace_services.generation_check(request_id=request.pk)
    marketplace_services.generation_check(request_id=request.pk)  # a re-run moves nothing

    request.refresh_from_db()
    assert request.status == "rendering"
    hold = FeeHold.objects.get(request_id=request.pk)
    assert (hold.amount, hold.revision) == (120, 1)
    assert sorted(line["amount"] for line in hold.lines) == [50, 70]
    assert _balance(creator, AccountKind.WALLET) == 0
    assert _balance(creator, AccountKind.HOLD) == 120


def test_postgresql_refuses_an_entry_taking_a_persons_balance_below_zero():
    creator = UserFactory()
    fund_wallet(creator, 10)
    wallet = account_for(owner=creator, kind=AccountKind.WALLET, currency="USD")
    revenue = platform_account(kind=AccountKind.PLATFORM_REVENUE, currency="USD")

    with pytest.raises(IntegrityError, match="would go below zero"), transaction.atomic():
        ledger_post(
            key="overdraw",
            kind="test",
            lines=[Line(wallet, Money(-11, "USD")), Line(revenue, Money(11, "USD"))],
        )

    # the platform's own accounts may go below zero
    ledger_post(
        key="platform-negative",
        kind="test",
        lines=[Line(revenue, Money(-5, "USD")), Line(wallet, Money(5, "USD"))],
    )
    assert _balance(creator, AccountKind.WALLET) == 15


def test_the_migrations_guard_lists_exactly_the_party_kinds():
    from importlib import import_module

    from payments.enums import PARTY_KINDS

    guard = import_module("payments.migrations.0005_party_balances_not_negative")
    listed = {kind.strip(" '") for kind in guard.PARTY_KINDS.strip("()").split(",")}
    assert listed == {str(kind) for kind in PARTY_KINDS}


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_hold_only_what_the_wallet_has(hoshi):
    """Eight requests at once against a wallet with room for three: three are
    created, five refused with 402, and the wallet ends at zero, never below."""
    creator = UserFactory()
    grant_for(hoshi, creator, per_generation_fee=50)
    fund_wallet(creator, 150)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def attempt():
        try:
            barrier.wait()
            _request(creator, [hoshi])
            outcomes.append("created")
        except InsufficientFunds:
            outcomes.append("402")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["402"] * 5 + ["created"] * 3
    assert GenerationRequest.objects.count() == 3
    assert _balance(creator, AccountKind.WALLET) == 0
    assert _balance(creator, AccountKind.HOLD) == 150


def test_holding_and_capturing_a_fee_costs_a_bounded_number_of_queries(
    hoshi, django_assert_num_queries
):
    """The fee-hold overhead per generation is measured in bench/holds.py; here its
    query count is held: one lock for the three accounts, one balance, the hold and
    its ledger posting; then the capture's revenue event and settlement."""
    creator = UserFactory()
    grant = grant_for(hoshi, creator, per_generation_fee=50)
    fund_wallet(creator, 500)
    line = {"character_id": hoshi.pk, "grant_id": grant.pk, "amount": 50, "currency": "USD"}
    services.fee_holds_place(request_id=uuid.uuid4(), creator=creator, lines=[line])
    request_id = uuid.uuid4()

    with django_assert_num_queries(9):
        services.fee_holds_place(request_id=request_id, creator=creator, lines=[line])
    with django_assert_num_queries(24):
        services.fee_holds_capture(request_id=request_id)
