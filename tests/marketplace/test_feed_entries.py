"""The feed's read model (marketplace/services/feed.py): the feed API's pages, read
from the entries, are the pages the old path (``feed_page`` and
``WorkOutputSerializer``) makes; the services keep the entries current as works are
published, delisted, relisted and deleted and as their characters are renamed;
``read_models_rebuild`` remakes them (on PostgreSQL in SQL, giving the same cards)."""

import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from licensing import services as licensing_services
from marketplace import selectors, services
from marketplace.api.serializers import WorkOutputSerializer
from marketplace.models import FeedEntry, Work
from marketplace.services import feed
from tests.builders import pending_approval_work
from tests.factories import (
    CharacterFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/feed/"


def _old_page(cursor: str | None = None) -> dict:
    works, next_cursor = selectors.feed_page(cursor=cursor)
    request = APIRequestFactory().get(URL)
    data = WorkOutputSerializer(works, many=True, context={"request": request}).data
    return {"results": json.loads(JSONRenderer().render(data)), "next": next_cursor}


def _world(count: int = 14) -> list[Work]:
    """Published works by creators with and without display names, some remixes
    carrying inherited licences, some with several licences, a draft and a delisted
    work (neither in the feed)."""
    named = UserFactory(display_name="Rin")
    anonymous = UserFactory(display_name="")
    grants = [grant_for(CharacterFactory(name=f"Star {n}"), named) for n in range(3)]
    grants += [grant_for(CharacterFactory(name="Moon"), anonymous)]
    start = timezone.now() - timedelta(hours=2)
    works: list[Work] = []
    for n in range(count):
        creator = named if n % 2 else anonymous
        mine = [g for g in grants if g.licensee_id == creator.pk][: 1 + n % 3]
        parent = works[-1] if n % 3 == 2 else None
        works.append(
            WorkFactory(
                creator=creator,
                grants=mine,
                parent=parent,
                inherit=parent is not None,
                title=f"Work {n}",
                duration_s=4.5 if n % 2 else 6.0,
                published_at=start + timedelta(minutes=n // 2),  # pairs share a moment
            )
        )
    pending_approval_work(creator=named, grant=grants[0], character=grants[0].character,
                          title="Waiting")  # fmt: skip
    services.work_block(work=works[0], reason="claimed")
    return works


def test_feed_pages_from_the_read_model_are_the_old_paths_pages(api_client):
    # given
    _world()

    # when / then: every page, followed by its cursor, is the old path's
    with time_machine.travel(timezone.now(), tick=False):  # the same signed media URLs
        cursor, pages = None, 0
        while True:
            new = api_client.get(URL, {"cursor": cursor} if cursor else {}).json()
            assert new == _old_page(cursor)
            pages += 1
            cursor = new["next"]
            if cursor is None:
                break
    assert pages == 2
    assert FeedEntry.objects.count() == Work.objects.filter(status="published").count() == 13


def test_the_services_keep_the_entries_current(api_client):
    # given: a published work licensing a character
    creator = UserFactory()
    grant = grant_for(CharacterFactory(name="Kaze"), creator)
    work = WorkFactory(creator=creator, grants=[grant], published_at=timezone.now())

    def ids() -> list[str]:
        return [row["id"] for row in api_client.get(URL).json()["results"]]

    assert ids() == [str(work.pk)]

    # delisted by a block, relisted when it is lifted
    services.work_block(work=work, reason="claimed")
    assert ids() == []
    services.work_unblock(work=work)
    assert ids() == [str(work.pk)]

    # its character renamed: the card names it anew
    character = grant.character
    licensing_services.character_update(
        character=character, by=editor_of(character), name="Kaze Renamed"
    )
    card = api_client.get(URL).json()["results"][0]
    assert card["licenses"][0]["character_name"] == "Kaze Renamed"

    # deleted by its creator: gone
    services.work_delete(work=work, by=creator)
    assert ids() == []
    assert not FeedEntry.objects.exists()


def test_an_approved_work_enters_the_feed(api_client):
    # given: a work waiting for its rightsholder, not in the feed
    creator = UserFactory()
    character = CharacterFactory(name="Reviewed")
    grant = grant_for(character, creator)
    work = pending_approval_work(creator=creator, grant=grant, character=character, title="W")
    assert api_client.get(URL).json()["results"] == []

    # when: the rightsholder approves it
    approval = work.approvals.get()
    services.work_approval_decide(approval=approval, by=editor_of(character), approve=True)

    # then
    assert [row["id"] for row in api_client.get(URL).json()["results"]] == [str(work.pk)]


@pytest.mark.postgresql
def test_the_sql_rebuild_writes_the_cards_the_services_write():
    # given: entries written by the services, card by card
    _world()
    by_service = {e.work_id: e.payload for e in FeedEntry.objects.all()}
    creators = dict(Work.objects.values_list("pk", "creator_id"))

    # when: rebuilt in one statement
    out = io.StringIO()
    call_command("read_models_rebuild", "--only", "feed", stdout=out)

    # then: the same cards (the SQL writes a whole float as an integer: served as float)
    rebuilt = {e.work_id: e.payload for e in FeedEntry.objects.all()}
    assert rebuilt.keys() == by_service.keys() and len(rebuilt) == 13
    for pk, payload in rebuilt.items():
        assert payload == by_service[pk], pk
    # and: each entry names its work's creator, for the Following tab
    entries = FeedEntry.objects.values_list("work_id", "creator_id")
    assert all(creator == creators[pk] for pk, creator in entries)
    assert "13 published works" in out.getvalue()


def test_the_batched_rebuild_remakes_lost_entries(api_client):
    # given: the entries lost (rows written outside the services)
    _world()
    with time_machine.travel(timezone.now(), tick=False):
        before = api_client.get(URL).json()
        FeedEntry.objects.all().delete()
        assert api_client.get(URL).json()["results"] == []

        # when: rebuilt the portable way (SQLite's), in small batches
        total = 0
        ids = list(Work.objects.filter(status="published").values_list("pk", flat=True))
        for start in range(0, len(ids), 4):
            total += feed._write(ids[start : start + 4])

        # then
        assert total == 13
        assert api_client.get(URL).json() == before


def test_a_bad_cursor_is_refused_and_nothing_changes(api_client):
    _world(3)
    response = api_client.get(URL, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["field"] == "cursor"


@pytest.mark.parametrize(
    "moment", [datetime(2026, 12, 3, 10, 0, 0, 123456), "2026-12-03 10:00:00.123456"]
)
def test_a_feed_row_as_sqlite_gives_it_reads_as_postgresql_gives_it(moment):
    # given: what SQLite returns for an entry (jsonb as text, a naive UTC time, a hex id)
    from marketplace.selectors import _entry_row

    row = ('{"id": "0123"}', moment, "0123456789abcdef0123456789abcdef")

    # when
    payload, published_at, pk = _entry_row(row)

    # then: the card, an aware time in UTC (the cursor needs one), the id
    assert payload == {"id": "0123"}
    assert published_at == datetime(2026, 12, 3, 10, 0, 0, 123456, tzinfo=UTC)
    assert pk == uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")
