"""The list endpoints the walk only touches once: what each person sees, that a bad
filter is a 400 in the error shape (never a 500, never silently ignored), constant
query counts, and the licence fee's checkout through the API."""

import socket
from datetime import timedelta

import pytest
import stripe
from django.utils import timezone

from licensing.models import Grant
from marketplace import services as marketplace_services
from marketplace.enums import WorkStatus
from marketplace.models import Work
from tests.factories import (
    CharacterFactory,
    MembershipFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
    publish_offer,
)
from tests.fakes.stripe_fake import FakeStripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    """A studio character licensed by two creators, each with published works; the first
    creator also has a delisted work and a deleted one."""
    hoshi = CharacterFactory(name="Hoshi-chan")
    kuro = CharacterFactory(name="Kuro")
    ana, ben = UserFactory(), UserFactory()
    ana_grant, ben_grant = grant_for(hoshi, ana), grant_for(hoshi, ben)
    kuro_grant = grant_for(kuro, ana)
    works = {
        "ana_hoshi": WorkFactory(creator=ana, grants=[ana_grant], title="ana hoshi"),
        "ana_kuro": WorkFactory(creator=ana, grants=[kuro_grant], title="ana kuro"),
        "ben_hoshi": WorkFactory(creator=ben, grants=[ben_grant], title="ben hoshi"),
        "ana_delisted": WorkFactory(creator=ana, grants=[ana_grant], title="ana delisted"),
        "ana_deleted": WorkFactory(creator=ana, grants=[ana_grant], title="ana deleted"),
    }
    Work.objects.filter(pk=works["ana_delisted"].pk).update(status=WorkStatus.DELISTED)
    Work.objects.filter(pk=works["ana_deleted"].pk).update(status=WorkStatus.DELETED)
    return {"hoshi": hoshi, "kuro": kuro, "ana": ana, "ben": ben, "works": works}


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(w["title"] for w in response.json()["results"])


# --- works ----------------------------------------------------------------------------------


def test_works_list_shows_published_works_filtered_by_creator_and_character(api_client, market):
    # given
    ana, hoshi = market["ana"], market["hoshi"]

    # when / then: anyone, published only
    assert _titles(api_client.get("/api/v1/works/")) == ["ana hoshi", "ana kuro", "ben hoshi"]
    assert _titles(api_client.get("/api/v1/works/", {"creator": ana.pk})) == [
        "ana hoshi",
        "ana kuro",
    ]
    assert _titles(api_client.get("/api/v1/works/", {"character": hoshi.pk})) == [
        "ana hoshi",
        "ben hoshi",
    ]
    assert _titles(
        api_client.get("/api/v1/works/", {"creator": ana.pk, "character": hoshi.pk})
    ) == ["ana hoshi"]


def test_mine_lists_only_your_own_works_in_every_state_but_deleted(api_client, market):
    # given
    api_client.force_authenticate(market["ana"])

    # when
    mine = api_client.get("/api/v1/works/", {"mine": "1"})
    delisted = api_client.get("/api/v1/works/", {"mine": "true", "status": "delisted"})

    # then
    assert _titles(mine) == ["ana delisted", "ana hoshi", "ana kuro"]
    assert _titles(delisted) == ["ana delisted"]


def test_mine_needs_authentication(api_client, market):
    response = api_client.get("/api/v1/works/", {"mine": "1"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_works_list_query_count_does_not_grow_with_the_page(
    api_client, market, django_assert_max_num_queries
):
    # given: a first page measured, then more works with licences
    with django_assert_max_num_queries(10) as first:
        api_client.get("/api/v1/works/")
    grant = Grant.objects.filter(licensee=market["ben"]).first()
    for n in range(10):
        WorkFactory(creator=market["ben"], grants=[grant], title=f"more {n}")

    # when / then
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = api_client.get("/api/v1/works/")
    assert response.json()["count"] == 13


# --- generations ----------------------------------------------------------------------------


def test_generations_list_shows_only_your_own_requests(api_client, market):
    # given: a queued request of ben's besides the requests behind the works
    marketplace_services.generation_request_create(
        creator=market["ben"], prompt="ben queued", character_ids=[market["hoshi"].pk]
    )
    api_client.force_authenticate(market["ben"])

    # when
    everything = api_client.get("/api/v1/generations/").json()
    queued = api_client.get("/api/v1/generations/", {"status": "queued"}).json()

    # then
    assert sorted(g["prompt"] for g in everything["results"]) == ["ben hoshi", "ben queued"]
    assert [g["prompt"] for g in queued["results"]] == ["ben queued"]
    assert everything["count"] == 2


def test_another_creators_generation_is_not_found(api_client, market):
    # given
    theirs = market["works"]["ana_hoshi"].request
    api_client.force_authenticate(market["ben"])

    # when
    response = api_client.get(f"/api/v1/generations/{theirs.pk}/")

    # then
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_generations_list_query_count_does_not_grow_with_the_page(
    api_client, market, django_assert_max_num_queries
):
    api_client.force_authenticate(market["ana"])
    with django_assert_max_num_queries(10) as first:
        api_client.get("/api/v1/generations/")
    for n in range(8):
        marketplace_services.generation_request_create(
            creator=market["ana"], prompt=f"more {n}", character_ids=[market["hoshi"].pk]
        )

    with django_assert_max_num_queries(len(first.captured_queries)):
        response = api_client.get("/api/v1/generations/")
    assert response.json()["count"] == 12


# --- approvals ------------------------------------------------------------------------------


def test_approvals_queue_is_paginated_and_only_for_the_characters_rightsholders(api_client, market):
    # given: ana's delisted work waits for hoshi's studio
    work = market["works"]["ana_delisted"]
    marketplace_services.work_approvals_open(
        work=work,
        character_ids=[market["hoshi"].pk],
        deadline=timezone.now() + timedelta(hours=72),
    )
    studio = editor_of(market["hoshi"])
    kuro_studio = editor_of(market["kuro"])

    # when
    api_client.force_authenticate(studio)
    own = api_client.get("/api/v1/approvals/").json()
    api_client.force_authenticate(kuro_studio)
    other = api_client.get("/api/v1/approvals/").json()
    api_client.force_authenticate(market["ana"])
    creator = api_client.get("/api/v1/approvals/").json()

    # then
    assert own["count"] == 1 and own["results"][0]["work"] == str(work.pk)
    assert other["count"] == 0
    assert creator["count"] == 0


# --- money ----------------------------------------------------------------------------------


def test_money_of_an_organization_you_do_not_belong_to_is_not_found(api_client):
    # given
    membership = MembershipFactory()
    stranger = UserFactory()
    api_client.force_authenticate(stranger)

    # when / then
    for path in ("/api/v1/balance/", "/api/v1/ledger/", "/api/v1/payouts/"):
        response = api_client.get(path, {"organization": membership.organization.slug})
        assert response.status_code == 404, path
    api_client.force_authenticate(membership.user)
    for path in ("/api/v1/balance/", "/api/v1/ledger/", "/api/v1/payouts/"):
        response = api_client.get(path, {"organization": membership.organization.slug})
        assert response.status_code == 200, path


# --- bad filters ----------------------------------------------------------------------------

BAD_FILTERS = [
    ("/api/v1/characters/", "kind", "robot", False),
    ("/api/v1/characters/", "commercial", "maybe", False),
    ("/api/v1/characters/", "free", "2", False),
    ("/api/v1/grants/", "role", "admin", True),
    ("/api/v1/grants/", "status", "gone", True),
    ("/api/v1/claims/", "role", "judge", True),
    ("/api/v1/works/", "mine", "perhaps", False),
    ("/api/v1/works/", "creator", "not-a-uuid", False),
    ("/api/v1/works/", "character", "42", False),
    ("/api/v1/works/", "status", "published", False),  # status needs mine=1
    ("/api/v1/generations/", "status", "done", True),
    ("/api/v1/approvals/", "status", "maybe", True),
    ("/api/v1/ledger/", "kind", "escrow", True),
    ("/api/v1/ledger/", "currency", "dollars", True),
    ("/api/v1/payouts/", "status", "lost", True),
    ("/api/v1/feed/", "cursor", "bm90IGEgY3Vyc29y", False),
]


@pytest.mark.parametrize(("path", "name", "value", "signed_in"), BAD_FILTERS)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(
    api_client, user, path, name, value, signed_in
):
    # given
    if signed_in:
        api_client.force_authenticate(user)

    # when
    response = api_client.get(path, {name: value})

    # then
    assert response.status_code == 400, response.content
    assert response.json() == {
        "code": "invalid_filter",
        "detail": response.json()["detail"],
        "field": name,
    }


def test_good_filter_spellings_are_accepted(api_client, user):
    api_client.force_authenticate(user)

    for path, params in [
        ("/api/v1/characters/", {"commercial": "TRUE", "free": "0", "kind": "likeness"}),
        ("/api/v1/ledger/", {"currency": "usd", "kind": "available"}),
        ("/api/v1/grants/", {"role": "licensor", "status": "pending_approval"}),
        ("/api/v1/approvals/", {"status": "expired"}),
    ]:
        assert api_client.get(path, params).status_code == 200, (path, params)


# --- a licence fee through the API ----------------------------------------------------------


@pytest.fixture
def fee_offer():
    return publish_offer(CharacterFactory(name="Kuro"), upfront_fee=2_500)


def test_accepting_a_fee_offer_returns_a_checkout_and_only_the_licensee_may_ask_again(
    api_client, settings, fee_offer
):
    # given
    creator, stranger = UserFactory(), UserFactory()
    with FakeStripe(api_key=settings.STRIPE_SECRET_KEY) as fake:
        settings.STRIPE_API_BASE = fake.base_url
        api_client.force_authenticate(creator)

        # when
        accepted = api_client.post(
            f"/api/v1/offers/{fee_offer.pk}/accept/",
            {"max_fee": 2_500, "max_rev_share_bps": 0},
            format="json",
        )
        again = api_client.post(f"/api/v1/grants/{accepted.json()['id']}/checkout/")
        api_client.force_authenticate(stranger)
        theirs = api_client.post(f"/api/v1/grants/{accepted.json()['id']}/checkout/")

    # then: one session, the same one asked for twice; a stranger sees no such grant
    assert accepted.status_code == 201
    assert accepted.json()["status"] == "pending_payment"
    assert accepted.json()["checkout_url"] == again.json()["url"]
    assert len(fake.checkout_sessions) == 1
    assert theirs.status_code == 404


def test_with_stripe_unreachable_the_grant_stands_and_checkout_is_a_503(
    api_client, settings, monkeypatch, fee_offer
):
    # given: a port nobody listens on
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    creator = UserFactory()
    api_client.force_authenticate(creator)

    # when
    accepted = api_client.post(
        f"/api/v1/offers/{fee_offer.pk}/accept/",
        {"max_fee": 2_500, "max_rev_share_bps": 0},
        format="json",
    )
    checkout = api_client.post(f"/api/v1/grants/{accepted.json()['id']}/checkout/")

    # then
    assert accepted.status_code == 201
    assert accepted.json()["checkout_url"] is None
    assert Grant.objects.get(pk=accepted.json()["id"]).status == "pending_payment"
    assert checkout.status_code == 503
    assert checkout.json()["code"] == "payment_provider_unavailable"
