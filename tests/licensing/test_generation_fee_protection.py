"""Price protection covers the fee per generated video, as it covers the upfront fee and
the revenue share: accepting states the most the creator agrees to pay per video
(``max_generation_fee``), a current version that asks more is refused (409
``price_changed``), and the grant keeps what was agreed."""

import importlib
import re

import pytest
from django.apps import apps
from django.urls import reverse

from licensing import services
from licensing.models import Grant
from tests.factories import CharacterFactory, UserFactory, editor_of, grant_for, publish_offer

pytestmark = pytest.mark.django_db


def _publish_costlier(offer, **changes):
    """The rightsholder publishes a new version of ``offer`` with ``changes``."""
    editor = editor_of(offer.character)
    draft = services.offer_new_version(offer=offer, by=editor)
    services.offer_update_draft(
        offer=draft, by=editor, terms=offer.parsed_terms.replace(**changes).to_dict()
    )
    return services.offer_publish(offer=draft, by=editor)


def _accept(offer, by, *, max_generation_fee):
    return services.grant_accept(
        offer=offer, by=by, max_fee=0, max_rev_share_bps=0, max_generation_fee=max_generation_fee
    )


def _hidden_value(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name!r} on the page"
    return match.group(1)


# --- the service ------------------------------------------------------------------------------


def test_accepting_below_the_fee_per_video_is_refused_naming_both_amounts():
    # given
    offer = publish_offer(CharacterFactory(), per_generation_fee=50)
    creator = UserFactory()

    # when
    with pytest.raises(services.PriceChanged) as error:
        _accept(offer, creator, max_generation_fee=20)

    # then
    assert error.value.code == "price_changed"
    assert error.value.status_code == 409
    assert error.value.field == "max_generation_fee"
    assert error.value.detail == (
        "Version 1 charges $0.50 per video, above the $0.20 per video you agreed to "
        "(max_generation_fee). Review its terms and accept again with max_generation_fee "
        "of at least 50."
    )
    assert not Grant.objects.filter(licensee=creator).exists()


@pytest.mark.parametrize("agreed", [50, 80])
def test_accepting_at_or_above_the_fee_per_video_stores_what_was_agreed(agreed):
    offer = publish_offer(CharacterFactory(), per_generation_fee=50)

    grant = _accept(offer, UserFactory(), max_generation_fee=agreed)

    assert grant.status == "active"
    grant.refresh_from_db()
    assert grant.max_generation_fee == agreed


def test_a_fee_per_video_raised_between_viewing_and_accepting_is_refused():
    # given: the creator reads version 1 at $0.50 per video ...
    v1 = publish_offer(CharacterFactory(), per_generation_fee=50)
    creator = UserFactory()
    # ... and meanwhile the rightsholder publishes version 2 at $0.75 per video
    v2 = _publish_costlier(v1, per_generation_fee=75)

    # when: the creator accepts the price they read
    with pytest.raises(services.PriceChanged) as error:
        _accept(v1, creator, max_generation_fee=50)

    # then: nothing is accepted; agreeing to the new price accepts version 2
    assert error.value.field == "max_generation_fee"
    assert "$0.75 per video" in error.value.detail
    assert "Version 2" in error.value.detail
    assert not Grant.objects.filter(licensee=creator).exists()
    grant = _accept(v1, creator, max_generation_fee=75)
    assert grant.offer_id == v2.pk
    assert grant.max_generation_fee == 75


def test_a_cheaper_fee_per_video_published_in_between_is_accepted_at_the_new_price():
    v1 = publish_offer(CharacterFactory(), per_generation_fee=50)
    v2 = _publish_costlier(v1, per_generation_fee=10)

    grant = _accept(v1, UserFactory(), max_generation_fee=50)

    assert grant.offer_id == v2.pk
    assert grant.max_generation_fee == 50


def test_the_fee_per_video_is_judged_in_the_offers_currency():
    offer = publish_offer(CharacterFactory(), per_generation_fee=500, currency="JPY")

    with pytest.raises(services.PriceChanged) as error:
        _accept(offer, UserFactory(), max_generation_fee=499)

    assert "¥500 per video" in error.value.detail
    assert "¥499 per video you agreed to" in error.value.detail


# --- the API ----------------------------------------------------------------------------------


def test_api_accept_below_the_fee_per_video_is_a_409_naming_the_field(api_client):
    offer = publish_offer(CharacterFactory(), per_generation_fee=50)
    creator = UserFactory()
    api_client.force_authenticate(creator)

    response = api_client.post(
        f"/api/v1/offers/{offer.pk}/accept/",
        {"max_fee": 0, "max_rev_share_bps": 0, "max_generation_fee": 49},
        format="json",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "price_changed"
    assert body["field"] == "max_generation_fee"
    assert "$0.50 per video" in body["detail"]
    assert not Grant.objects.filter(licensee=creator).exists()


def test_an_api_client_that_leaves_the_field_out_agrees_to_no_fee_per_video(api_client):
    # given: a client written before max_generation_fee existed
    priced = publish_offer(CharacterFactory(), per_generation_fee=50)
    free = publish_offer(CharacterFactory())
    api_client.force_authenticate(UserFactory())
    old_body = {"max_fee": 0, "max_rev_share_bps": 0}

    # when
    refused = api_client.post(f"/api/v1/offers/{priced.pk}/accept/", old_body, format="json")
    accepted = api_client.post(f"/api/v1/offers/{free.pk}/accept/", old_body, format="json")

    # then: never charged a fee it did not state, and told which field to send
    assert refused.status_code == 409
    assert refused.json()["field"] == "max_generation_fee"
    assert "max_generation_fee of at least 50" in refused.json()["detail"]
    assert accepted.status_code == 201
    assert accepted.json()["max_generation_fee"] == 0


def test_api_accept_at_the_fee_per_video_returns_the_grant_with_it(api_client):
    offer = publish_offer(CharacterFactory(), per_generation_fee=50)
    api_client.force_authenticate(UserFactory())

    response = api_client.post(
        f"/api/v1/offers/{offer.pk}/accept/",
        {"max_fee": 0, "max_rev_share_bps": 0, "max_generation_fee": 50},
        format="json",
    )
    listed = api_client.get("/api/v1/grants/").json()["results"]

    assert response.status_code == 201
    assert response.json()["status"] == "active"
    assert response.json()["max_generation_fee"] == 50
    assert Grant.objects.get(pk=response.json()["id"]).max_generation_fee == 50
    assert [g["max_generation_fee"] for g in listed] == [50]


def test_the_accept_operation_documents_the_field_and_the_409(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/offers/{id}/accept/"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    accept = schema["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    field = accept["properties"]["max_generation_fee"]
    conflict = operation["responses"]["409"]["content"]["application/json"]["examples"]

    assert "max_generation_fee" not in accept.get("required", [])
    assert (field["minimum"], field["maximum"]) == (0, 10_000_000)
    assert accept["properties"]["max_fee"]["maximum"] == 100_000_000
    assert [e["value"]["field"] for e in conflict.values()] == ["max_generation_fee"]
    grant = schema["components"]["schemas"]["GrantOutput"]["properties"]
    assert grant["max_generation_fee"]["type"] == "integer"


# --- the web ----------------------------------------------------------------------------------


def test_character_page_states_the_fee_per_video_the_creator_agrees_to(client, user):
    character = CharacterFactory()
    publish_offer(character, upfront_fee=2_000, per_generation_fee=50, rev_share_bps=1_500)
    client.force_login(user)

    html = client.get(character.get_absolute_url()).content.decode()

    assert _hidden_value(html, "max_generation_fee") == "50"
    assert "$20.00 upfront · $0.50 per video · 15% revenue share" in html


def test_accepting_the_displayed_fee_per_video_on_the_web_stores_it(client, user):
    character = CharacterFactory()
    offer = publish_offer(character, per_generation_fee=50)
    client.force_login(user)
    html = client.get(character.get_absolute_url()).content.decode()

    response = client.post(
        reverse("payments:offer_accept", args=[character.pk, offer.pk]),
        {
            name: _hidden_value(html, name)
            for name in ("max_fee", "max_rev_share_bps", "max_generation_fee")
        },
    )

    assert response["Location"] == reverse("licensing:my_grants")
    grant = Grant.objects.get(licensee=user)
    assert (grant.status, grant.max_generation_fee) == ("active", 50)


def test_a_fee_per_video_raised_after_the_page_was_shown_is_refused_in_words(client, user):
    # given: the page shows version 1 at $0.50 per video
    character = CharacterFactory()
    v1 = publish_offer(character, per_generation_fee=50)
    client.force_login(user)
    html = client.get(character.get_absolute_url()).content.decode()
    stale = {
        name: _hidden_value(html, name)
        for name in ("max_fee", "max_rev_share_bps", "max_generation_fee")
    }
    _publish_costlier(v1, per_generation_fee=75)

    # when
    response = client.post(
        reverse("payments:offer_accept", args=[character.pk, v1.pk]), stale, follow=True
    )

    # then
    assert not Grant.objects.exists()
    assert response.redirect_chain[-1][0] == character.get_absolute_url()
    assert [str(m) for m in response.context["messages"]] == [
        "Not accepted: the terms changed. Version 2 now costs $0.00 upfront and $0.75 per "
        "video, with a 0% revenue share. Nothing was charged; read the new terms and accept "
        "again if they suit you."
    ]


def test_a_page_posted_without_the_field_agrees_to_no_fee_per_video(client, user):
    # A page rendered before the field existed posts only the other two prices.
    character = CharacterFactory()
    offer = publish_offer(character, per_generation_fee=50)
    client.force_login(user)

    response = client.post(
        reverse("payments:offer_accept", args=[character.pk, offer.pk]),
        {"max_fee": "0", "max_rev_share_bps": "0"},
        follow=True,
    )

    assert not Grant.objects.exists()
    [message] = [str(m) for m in response.context["messages"]]
    assert "$0.50 per video" in message


def test_my_licences_shows_the_prices_each_grant_agreed_to(client, user):
    grant_for(CharacterFactory(name="Hoshi"), user, per_generation_fee=50, rev_share_bps=1_000)
    client.force_login(user)

    html = client.get(reverse("licensing:my_grants")).content.decode()

    assert "Agreed to pay at most" in html
    assert "$0.00 upfront · $0.50 per video · 10% revenue share" in html


def test_my_licences_reads_the_agreed_prices_without_a_query_per_grant(
    client, user, django_assert_max_num_queries
):
    client.force_login(user)
    grant_for(CharacterFactory(), user, per_generation_fee=50)
    with django_assert_max_num_queries(50) as one:
        client.get(reverse("licensing:my_grants"))
    for _ in range(4):
        grant_for(CharacterFactory(), user, per_generation_fee=50)

    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(reverse("licensing:my_grants")).content.decode()

    assert html.count("$0.50 per video") == 5


def test_the_admin_shows_a_grants_agreed_fee_per_video(staff_client):
    grant = grant_for(CharacterFactory(), UserFactory(), per_generation_fee=50)

    html = staff_client.get(
        reverse("admin:licensing_grant_change", args=[grant.pk])
    ).content.decode()

    assert "Max generation fee" in html
    row = re.search(r'field-max_generation_fee".*?<div class="readonly">([^<]*)</div>', html, re.S)
    assert row and row.group(1) == "50"


# --- the migration ----------------------------------------------------------------------------


def test_the_backfill_records_each_old_grants_own_fee_per_video():
    # given: grants accepted before the field existed, left at its default
    priced = grant_for(CharacterFactory(), UserFactory(), per_generation_fee=50)
    free = grant_for(CharacterFactory(), UserFactory())
    Grant.objects.update(max_generation_fee=0)
    # the version a grant accepted is the price it pays, even after a costlier one
    _publish_costlier(priced.offer, per_generation_fee=90)
    backfill = importlib.import_module(
        "licensing.migrations.0009_grant_max_generation_fee_backfill"
    ).backfill

    # when
    backfill(apps, None)

    # then
    priced.refresh_from_db()
    free.refresh_from_db()
    assert (priced.max_generation_fee, free.max_generation_fee) == (50, 0)
