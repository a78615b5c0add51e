"""``GET /api/v1/feed/following/``: the works of the people you follow, newest first,
as the feed API writes them and paged by its cursors, read from the feed's read model
in one query whatever the page's length. Works are made as rows: no media is read."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import services as accounts_services
from marketplace import services
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/feed/following/"
FEED = "/api/v1/feed/"
PAGE_QUERIES = 1  # the entries of the followed creators (force_authenticate: no auth query)


def _published(creator, title, *, minutes_ago=0, grants=()):
    return WorkFactory(
        creator=creator,
        title=title,
        grants=list(grants),
        published_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def _all_feed_cards(api_client) -> dict[str, dict]:
    cards, cursor = {}, None
    while True:
        page = api_client.get(FEED, {"cursor": cursor} if cursor else {}).json()
        cards.update({card["id"]: card for card in page["results"]})
        cursor = page["next"]
        if cursor is None:
            return cards


def test_following_api_lists_only_followed_creators_newest_first_in_pages(api_client):
    # given: Ken follows Aiko (12 works, one with a licence) and Rin, not Ben
    aiko, rin, ben, ken = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    accounts_services.follow_create(follower=ken, followee=aiko)
    accounts_services.follow_create(follower=ken, followee=rin)
    grant = grant_for(CharacterFactory(name="Hoshi"), aiko)
    for n in range(12):
        _published(aiko, f"aiko {n:02}", minutes_ago=60 - n, grants=[grant] if n == 5 else [])
    _published(rin, "rin's", minutes_ago=54.5)
    _published(ben, "ben's", minutes_ago=1)
    api_client.force_authenticate(ken)

    # when
    first = api_client.get(URL).json()
    second = api_client.get(URL, {"cursor": first["next"]}).json()

    # then: ten newest first, then the last three; never Ben's
    titles = [card["title"] for card in first["results"] + second["results"]]
    expected = [f"aiko {n:02}" for n in range(11, 5, -1)] + ["rin's"]
    expected += [f"aiko {n:02}" for n in range(5, -1, -1)]  # aiko 05: 55 minutes ago
    assert titles == expected
    assert len(first["results"]) == 10 and second["next"] is None
    # and: each card is the feed API's card of the same work (media signed alike)
    feed_cards = _all_feed_cards(api_client)
    for card in first["results"] + second["results"]:
        assert card == feed_cards[card["id"]]
    licensed = next(c for c in first["results"] if c["title"] == "aiko 05")
    assert [lic["character_name"] for lic in licensed["licenses"]] == ["Hoshi"]


@pytest.mark.parametrize("works", [1, 20])
def test_following_api_reads_a_page_in_one_query(api_client, django_assert_num_queries, works):
    # given
    aiko, ken = UserFactory(), UserFactory()
    accounts_services.follow_create(follower=ken, followee=aiko)
    for n in range(works):
        _published(aiko, f"aiko {n}", minutes_ago=n)
    api_client.force_authenticate(ken)

    # when / then
    with django_assert_num_queries(PAGE_QUERIES):
        page = api_client.get(URL).json()
    assert len(page["results"]) == min(works, 10)
    if page["next"]:
        with django_assert_num_queries(PAGE_QUERIES):
            rest = api_client.get(URL, {"cursor": page["next"]}).json()
        assert len(rest["results"]) == 10 and rest["next"] is None


def test_following_api_follows_follows_and_the_works_states(api_client):
    # given: Ken follows Aiko, whose two videos are in the feed
    aiko, ken = UserFactory(), UserFactory()
    accounts_services.follow_create(follower=ken, followee=aiko)
    kept = _published(aiko, "kept", minutes_ago=2)
    delisted = _published(aiko, "delisted", minutes_ago=1)
    api_client.force_authenticate(ken)

    # when: one is delisted, then Ken unfollows
    services.work_block(work=delisted, reason="claimed")
    while_following = api_client.get(URL).json()
    accounts_services.follow_delete(follower=ken, followee=aiko)
    after = api_client.get(URL).json()

    # then
    assert [card["id"] for card in while_following["results"]] == [str(kept.pk)]
    assert after == {"results": [], "next": None}


def test_following_api_is_for_signed_in_people_and_refuses_a_bad_cursor(api_client):
    signed_out = api_client.get(URL)
    api_client.force_authenticate(UserFactory())

    bad = api_client.get(URL, {"cursor": "not-a-cursor"})

    assert signed_out.status_code == 401
    assert signed_out.json()["code"] == "not_authenticated"
    assert bad.status_code == 400 and bad.json()["field"] == "cursor"


def test_following_api_with_a_token(api_client, django_assert_max_num_queries):
    # given: an API token (its own lookup is the page's only other query)
    aiko, ken = UserFactory(), UserFactory()
    accounts_services.follow_create(follower=ken, followee=aiko)
    _published(aiko, "hello")
    token = Token.objects.create(user=ken)

    # when
    with django_assert_max_num_queries(PAGE_QUERIES + 1):
        response = api_client.get(URL, HTTP_AUTHORIZATION=f"Token {token.key}")

    # then
    assert response.status_code == 200
    assert [card["title"] for card in response.json()["results"]] == ["hello"]
