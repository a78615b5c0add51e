"""The feed page: published works only, newest first, a cursor that pages through every
work once, the htmx fragment and a query count that does not grow with the page.

Its works are copies (rows sharing files and licences) of one real work, rendered and
signed once for the module: inside a transaction held open for the module and rolled
back at its end, each test running in its own savepoint within it."""

import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse

from marketplace import services
from marketplace.models import Work
from tests.factories import CharacterFactory, UserFactory, grant_for
from tests.marketplace.helpers import copy_published_work, make_work

pytestmark = pytest.mark.django_db

FEED = reverse("marketplace:feed")
HTMX = {"HTTP_HX_REQUEST": "true"}
# A feed page, whatever its length: the feed's stored cards (its read model), the
# works' likes and comments, and the creators' follows.
FEED_QUERIES = 3


def _feed_ids(html: str) -> list[str]:
    return re.findall(r'<article class="feed-item" data-work="([0-9a-f-]+)"', html)


def _next_cursor(html: str) -> str | None:
    found = re.search(r'hx-get="[^"]*\?cursor=([^"]+)"', html)
    return found.group(1) if found else None


@pytest.fixture(scope="module")
def _rendered(django_db_setup, django_db_blocker, provenance_keys, tmp_path_factory):
    media = tmp_path_factory.mktemp("feed-media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media,
            C2PA_CERT_CHAIN=str(provenance_keys.chain),
            C2PA_PRIVATE_KEY=str(provenance_keys.signer_key),
            C2PA_TRUST_ANCHORS=str(provenance_keys.root_cert),
        ),
        transaction.atomic(),
    ):
        hoshi = CharacterFactory(name="Hoshi-chan")
        creator = UserFactory(display_name="Feed Maker")
        grant_for(hoshi, creator)
        work = make_work(creator=creator, characters=[hoshi], prompt="Hoshi-chan opens the feed")
        yield SimpleNamespace(work=work, media=media)
        transaction.set_rollback(True)


@pytest.fixture
def rendered_work(_rendered, settings):
    """One real published work (the module's); feed tests copy its files and licences."""
    settings.MEDIA_ROOT = _rendered.media
    return _rendered.work


def _copies(work: Work, count: int, *, start) -> list[Work]:
    """``count`` published copies, one minute apart from ``start`` on, except that the
    first two share a moment: the order (and the cursor) must break the tie by id."""
    moments = [start + timedelta(minutes=max(n - 1, 0)) for n in range(count)]
    return [
        copy_published_work(work=work, title=f"Copy {n}", published_at=moment)
        for n, moment in enumerate(moments)
    ]


def test_feed_lists_only_published_works_newest_first(client, rendered_work):
    # given: published works, and a work that is no longer published
    start = rendered_work.published_at + timedelta(minutes=1)
    copies = _copies(rendered_work, 3, start=start)
    delisted = copy_published_work(work=rendered_work, title="Gone", published_at=start)
    services.work_block(work=delisted, reason="claimed")

    # when
    html = client.get(FEED).content.decode()

    # then
    expected = sorted(
        [rendered_work, *copies], key=lambda w: (w.published_at, str(w.pk)), reverse=True
    )
    assert _feed_ids(html) == [str(w.pk) for w in expected]
    assert str(delisted.pk) not in html


def test_feed_cursor_pages_through_every_work_once_in_order(client, rendered_work):
    # given: 12 published works; the 10th and 11th newest published at the same moment
    copies = _copies(rendered_work, 11, start=rendered_work.published_at + timedelta(minutes=1))
    everything = sorted(
        [rendered_work, *copies], key=lambda w: (w.published_at, str(w.pk)), reverse=True
    )
    assert everything[9].published_at == everything[10].published_at

    # when
    first = client.get(FEED).content.decode()
    cursor = _next_cursor(first)
    second = client.get(FEED, {"cursor": unquote(cursor)}, **HTMX).content.decode()

    # then
    assert len(_feed_ids(first)) == 10
    assert cursor is not None
    assert _feed_ids(first) + _feed_ids(second) == [str(w.pk) for w in everything]
    assert _next_cursor(second) is None
    assert "<html" not in second
    # and: the loader fires on intersection: the feed scrolls inside an overflow
    # container, where htmx's "revealed" (window scroll events) would never fire
    assert 'hx-trigger="intersect once"' in first


def test_feed_htmx_request_gets_only_the_items_fragment(client, rendered_work):
    # when
    response = client.get(FEED, **HTMX)

    # then
    html = response.content.decode()
    assert _feed_ids(html) == [str(rendered_work.pk)]
    assert "<html" not in html and 'id="feed"' not in html


def test_feed_query_count_does_not_grow_with_the_page(
    client, rendered_work, django_assert_num_queries
):
    # given: one published work
    start = rendered_work.published_at + timedelta(minutes=1)

    # when / then: the same number of queries for one work and for twenty (a full page)
    with django_assert_num_queries(FEED_QUERIES):
        one = client.get(FEED).content.decode()
    _copies(rendered_work, 19, start=start)
    with django_assert_num_queries(FEED_QUERIES):
        full = client.get(FEED).content.decode()
    assert (len(_feed_ids(one)), len(_feed_ids(full))) == (1, 10)


def test_feed_cards_show_signed_media_names_and_links(client, rendered_work):
    # given: a signed-in viewer (a published work's media is signed "public" for all)
    client.force_login(UserFactory())

    # when
    html = client.get(FEED).content.decode()

    # then: the card as the work showed it, from the stored payload
    video = re.search(r'<video src="([^"]+)" poster="([^"]+)"', html)
    assert video is not None
    names = (rendered_work.video.name, rendered_work.poster.name)
    for url, name in zip(video.groups(), names, strict=True):
        assert f"{name}?viewer=public&amp;sig=" in url
        assert client.get(url.replace("&amp;", "&")).status_code == 200
    assert f'href="{rendered_work.get_absolute_url()}"' in html
    assert reverse("marketplace:profile", args=[rendered_work.creator_id]) in html
    assert "Feed Maker" in html and " · Hoshi-chan" in html
