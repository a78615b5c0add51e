"""A storyline's ranking kept in the cache (marketplace/selectors_storylines.py,
``storyline_ranking``): a page read from it in one query, its ages and scores computed
per request, and forgotten by every write that would change it, so a reader never sees
a ranking older than the last like, feature, take or remix."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from marketplace import selectors_storylines as storyline_selectors
from marketplace import services
from marketplace.models import Like, Storyline
from tests.builders import storyline_opened
from tests.factories import CharacterFactory, OfferFactory, UserFactory, WorkFactory, editor_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    hoshi = CharacterFactory(name="Hoshi-chan")
    offer = OfferFactory(character=hoshi, allowed_actions=["generate", "remix", "publish"])
    owner = editor_of(hoshi)
    return storyline_opened(hoshi, offer=offer, by=owner), owner


def _takes(storyline, n, now):
    return [
        WorkFactory(title=f"Take {i}", storyline=storyline, published_at=now - timedelta(hours=i))
        for i in range(n)
    ]


def _page(api_client, storyline):
    response = api_client.get(f"/api/v1/storylines/{storyline.pk}/takes/")
    assert response.status_code == 200
    return response.json()["results"]


def test_a_cached_ranking_serves_the_next_page_in_one_query_and_ages_live(
    api_client, story, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # given: three takes, the ranking read once (its parts, then the page's cards)
    storyline, _ = story
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _takes(storyline, 3, now)
    with django_assert_num_queries(2):
        first = _page(api_client, storyline)

    # when: read again, and ranked ten hours later
    with django_assert_num_queries(1):
        again = _page(api_client, storyline)
    with django_assert_num_queries(0):
        later = storyline_selectors.storyline_ranking(
            storyline_id=storyline.pk, now=now + timedelta(hours=10)
        )

    # then: the same page from the cache; the ages moved with the clock, not the cache
    assert [t["title"] for t in again] == [t["title"] for t in first]
    assert [t["title"] for t in first] == ["Take 0", "Take 1", "Take 2"]
    assert [round(rank.age_hours) for _, rank in later] == [10, 11, 12]
    assert later[0][1].score < first[0]["rank"]["score"]


def test_each_write_that_changes_the_ranking_is_seen_on_the_next_read(
    api_client, story, django_capture_on_commit_callbacks
):
    # given: three takes, the ranking cached
    storyline, owner = story
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        newest, middle, oldest = _takes(storyline, 3, now)
    assert [t["title"] for t in _page(api_client, storyline)] == ["Take 0", "Take 1", "Take 2"]

    # when/then: a like, then its withdrawal
    fan = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.like_work(work=oldest, user=fan)
    liked = {t["title"]: t["rank"]["likes"] for t in _page(api_client, storyline)}
    assert liked["Take 2"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.unlike_work(work=oldest, user=fan)
    assert {t["rank"]["likes"] for t in _page(api_client, storyline)} == {0}

    # a take featured comes first, and unfeatured goes back
    with django_capture_on_commit_callbacks(execute=True):
        services.storyline_take_feature(storyline=storyline, work=oldest, by=owner)
    assert _page(api_client, storyline)[0]["title"] == "Take 2"
    with django_capture_on_commit_callbacks(execute=True):
        services.storyline_take_unfeature(storyline=storyline, work=oldest, by=owner)
    assert _page(api_client, storyline)[0]["title"] == "Take 0"

    # a published remix of a take (not itself a take) counts on its parent
    with django_capture_on_commit_callbacks(execute=True):
        WorkFactory(title="Echo", parent=middle, published_at=now)
    remixed = {t["title"]: t["rank"]["remixes"] for t in _page(api_client, storyline)}
    assert remixed == {"Take 0": 0, "Take 1": 1, "Take 2": 0}

    # a new take joins, and a delisted one leaves
    with django_capture_on_commit_callbacks(execute=True):
        WorkFactory(title="Take new", storyline=storyline, published_at=now + timedelta(minutes=1))
        services.work_block(work=newest, reason="A claim")
    titles = [t["title"] for t in _page(api_client, storyline)]
    assert "Take new" in titles and "Take 0" not in titles and len(titles) == 3


def test_counters_recounted_outside_the_services_are_seen_after_the_rebuild(
    api_client, story, django_capture_on_commit_callbacks
):
    # given: the ranking cached, then likes written as rows only (a bulk load)
    storyline, _ = story
    with django_capture_on_commit_callbacks(execute=True):
        (take,) = _takes(storyline, 1, timezone.now())
    assert _page(api_client, storyline)[0]["rank"]["likes"] == 0
    Like.objects.bulk_create([Like(work=take, user=UserFactory()) for _ in range(2)])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        call_command("read_models_rebuild", only="counters", stdout=StringIO())

    # then
    assert _page(api_client, storyline)[0]["rank"]["likes"] == 2


def test_a_storyline_without_takes_is_not_cached_so_its_deletion_is_a_404(api_client, story):
    storyline, _ = story
    assert _page(api_client, storyline) == []

    Storyline.objects.filter(pk=storyline.pk).delete()

    assert api_client.get(f"/api/v1/storylines/{storyline.pk}/takes/").status_code == 404


def test_with_the_cache_out_of_reach_the_takes_are_ranked_from_the_database_and_likes_land(
    api_client, story, monkeypatch, django_capture_on_commit_callbacks
):
    # given: Redis not answering
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    def down(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    storyline, _ = story
    with django_capture_on_commit_callbacks(execute=True):
        (take,) = _takes(storyline, 1, timezone.now())
    for method in ("get", "set", "delete_many"):
        monkeypatch.setattr(cache, method, down)

    # when: a like (its commit forgets the ranking), then the takes
    with django_capture_on_commit_callbacks(execute=True):
        services.like_work(work=take, user=UserFactory())
    response = api_client.get(f"/api/v1/storylines/{storyline.pk}/takes/")

    # then: the like stands, and the ranking comes from the database with it
    assert Like.objects.filter(work=take).count() == 1
    assert response.status_code == 200
    assert response.json()["results"][0]["rank"]["likes"] == 1
