"""The feed API reads a page in a constant number of queries, however many works and
licences there are. Works are made as rows: the feed reads no media."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.models import Work
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for

pytestmark = pytest.mark.django_db
FEED_API_QUERIES = 1  # the feed's read model: a page of stored cards


def _published(creator, grants, *, minute: int, parent: Work | None = None) -> Work:
    return WorkFactory(
        creator=creator,
        grants=grants,
        parent=parent,
        title=f"Work {minute}",
        published_at=timezone.now() - timedelta(hours=1) + timedelta(minutes=minute),
    )


def test_feed_api_query_count_does_not_grow_with_works_and_licences(
    api_client, django_assert_num_queries
):
    # given: two works with one licence each
    creator = UserFactory()
    grants = [grant_for(CharacterFactory(), creator) for _ in range(3)]
    first = _published(creator, grants[:1], minute=0)
    _published(creator, grants[:1], minute=1, parent=first)
    with django_assert_num_queries(FEED_API_QUERIES):
        small = api_client.get("/api/v1/feed/").json()
    assert len(small["results"]) == 2 and small["next"] is None

    # when: thirty more, by other creators, each with three licences, some remixes
    for minute in range(2, 32):
        _published(UserFactory(), grants, minute=minute, parent=first if minute % 2 else None)

    # then: a full page and the next one cost the same
    with django_assert_num_queries(FEED_API_QUERIES):
        page = api_client.get("/api/v1/feed/").json()
    assert len(page["results"]) == 10
    assert [len(work["licenses"]) for work in page["results"]] == [3] * 10
    with django_assert_num_queries(FEED_API_QUERIES):
        following = api_client.get("/api/v1/feed/", {"cursor": page["next"]}).json()
    assert len(following["results"]) == 10
    assert not {w["id"] for w in page["results"]} & {w["id"] for w in following["results"]}
