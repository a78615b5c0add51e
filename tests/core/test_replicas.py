"""Read replicas: which database each page's queries read from (core/replicas.py).

The replica alias is a TEST MIRROR of the test database (config/settings/test.py): its
own connection to the same data, so counting the queries on each connection shows where
the router sent them. The data must be committed for the mirror's connection to see it
(``transaction=True``). tests/ops/test_read_replica.py does the same against a real
streaming replica that lags."""

import pytest
from django.db import connections, transaction
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from core import replicas
from core.replicas import PRIMARY, REPLICA, ReplicaReadsMiddleware, ReplicaRouter, replica_reads
from licensing.models import Character
from tests.builders import storyline_opened
from tests.factories import (
    CharacterFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
    publish_offer,
)

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


@pytest.fixture
def reads_on(settings):
    settings.REPLICA_READS = True
    settings.REPLICA_STICKY_SECONDS = 60


@pytest.fixture
def public_world(db):
    character = CharacterFactory(name="Hoshi-chan")
    offer = publish_offer(character)
    creator = UserFactory()
    work = WorkFactory(creator=creator, grants=[grant_for(character, creator)], title="Rain")
    storyline = storyline_opened(character, offer=offer)
    return {
        "character": character,
        "offer": offer,
        "work": work,
        "creator": creator,
        "storyline": storyline,
    }


def _serve(request, view) -> HttpResponse:
    """``request`` through the middleware to ``view``, marked as a public page, as
    Django's handler would take it."""
    marked = replica_reads(view)

    def handler(request):
        middleware.process_view(request, marked, (), {})
        return marked(request)

    middleware = ReplicaReadsMiddleware(handler)
    return middleware(request)


class Reads:
    """The queries each connection ran while the block ran."""

    def __enter__(self):
        self._primary = CaptureQueriesContext(connections[PRIMARY])
        self._replica = CaptureQueriesContext(connections[REPLICA])
        self._primary.__enter__()
        self._replica.__enter__()
        return self

    def __exit__(self, *exc):
        self._replica.__exit__(*exc)
        self._primary.__exit__(*exc)

    @property
    def primary(self) -> list[str]:
        return [q["sql"] for q in self._primary.captured_queries]

    @property
    def replica(self) -> list[str]:
        return [q["sql"] for q in self._replica.captured_queries]


def _public_urls(world) -> list[str]:
    character, offer, work = world["character"], world["offer"], world["work"]
    return [
        reverse("home"),
        reverse("licensing:catalog") + "?q=Hoshi",
        reverse("licensing:character_detail", args=[character.pk]),
        reverse("marketplace:character_works", args=[character.pk]),
        reverse("marketplace:work_detail", args=[work.pk]),
        reverse("marketplace:feed"),
        reverse("marketplace:storyline_list"),
        reverse("marketplace:storyline_detail", args=[world["storyline"].pk]),
        reverse("marketplace:storyline_watch", args=[world["storyline"].pk]),
        "/api/v1/characters/?q=Hoshi",
        f"/api/v1/characters/{character.pk}/",
        f"/api/v1/offers/{offer.pk}/",
        f"/api/v1/offers/{offer.pk}/odrl/",
        "/api/v1/works/",
        f"/api/v1/works/{work.pk}/",
        "/api/v1/feed/",
    ]


def test_an_anonymous_reader_reads_every_public_page_from_the_replica(
    reads_on, public_world, client
):
    for url in _public_urls(public_world):
        # when
        with Reads() as reads:
            response = client.get(url)

        # then
        assert response.status_code == 200, url
        assert reads.replica, url
        assert reads.primary == [], (url, reads.primary)


def test_a_signed_in_reader_who_wrote_nothing_reads_the_replica_but_not_for_identity(
    reads_on, public_world, client
):
    client.force_login(UserFactory())

    with Reads() as reads:
        response = client.get(reverse("licensing:catalog"))

    assert response.status_code == 200
    assert reads.replica
    # The session and its user come from the primary: a log-in a moment ago works.
    assert reads.primary and all(
        '"django_session"' in sql or '"accounts_user"' in sql for sql in reads.primary
    ), reads.primary


def test_pages_that_are_not_public_and_own_listings_read_only_the_primary(
    reads_on, public_world, client, api_client
):
    creator = public_world["creator"]
    client.force_login(creator)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=creator).key}")

    with Reads() as reads:
        pages = [
            client.get(reverse("licensing:my_grants")),
            client.get(reverse("marketplace:my_works")),
            api_client.get("/api/v1/grants/"),
            api_client.get("/api/v1/works/?mine=1"),
            api_client.get("/api/v1/generations/"),
        ]

    assert [page.status_code for page in pages] == [200] * 5
    assert reads.primary
    assert reads.replica == []


def test_without_replica_reads_every_query_uses_the_primary(settings, public_world, client):
    settings.REPLICA_READS = False

    with Reads() as reads:
        response = client.get(reverse("licensing:catalog"))

    assert response.status_code == 200
    assert reads.primary and reads.replica == []


def test_the_writer_reads_their_own_write_from_the_primary_and_others_the_replica(
    reads_on, public_world, api_client, client
):
    # given: the character's editor changes its description through the API
    character = public_world["character"]
    editor = editor_of(character)
    token = Token.objects.create(user=editor).key
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"/api/v1/characters/{character.pk}/"

    with Reads() as writing:
        changed = api_client.patch(url, {"description": "Now in the rain"}, format="json")

    # then: the write and every read of that request used the primary
    assert changed.status_code == 200, changed.content
    assert writing.replica == []
    assert changed.cookies[replicas.STICKY_COOKIE]["max-age"] == 60

    # when: the editor reads again with only the token (no cookie), and a stranger reads
    fresh = type(api_client)()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with Reads() as editor_reads:
        mine = fresh.get(url)
    with Reads() as stranger_reads:
        theirs = client.get(url)

    # then
    assert mine.json()["description"] == theirs.json()["description"] == "Now in the rain"
    assert editor_reads.replica == [] and editor_reads.primary
    assert stranger_reads.replica and stranger_reads.primary == []


def test_a_browser_that_wrote_keeps_reading_the_primary_through_its_signed_cookie(
    reads_on, public_world, client, rf
):
    # given: a cookie from an anonymous write (only the cookie can tell)
    from django.contrib.auth.models import AnonymousUser

    writer = rf.post("/anything/")
    writer.user = AnonymousUser()

    def writes(request):
        CharacterFactory(name="Written")
        return HttpResponse("ok")

    response = ReplicaReadsMiddleware(writes)(writer)
    cookie = response.cookies[replicas.STICKY_COOKIE].value
    # when
    client.cookies[replicas.STICKY_COOKIE] = cookie
    with Reads() as sticky:
        client.get(reverse("licensing:catalog"))
    client.cookies[replicas.STICKY_COOKIE] = cookie + "forged"
    with Reads() as forged:
        client.get(reverse("licensing:catalog"))

    # then
    assert sticky.replica == [] and sticky.primary
    assert forged.replica and forged.primary == []


def test_a_safe_request_that_writes_is_not_sticky_and_reads_the_primary_after_its_write(
    reads_on, public_world, rf
):
    seen = []

    def view(request):
        router = ReplicaRouter()
        seen.append(router.db_for_read(Character))
        CharacterFactory(name="Counted")  # a GET that writes (a view count, say)
        seen.append(router.db_for_read(Character))
        return HttpResponse("ok")

    request = rf.get("/")
    request.user = UserFactory()
    response = _serve(request, view)

    assert seen == [REPLICA, PRIMARY]
    assert replicas.STICKY_COOKIE not in response.cookies


def test_reads_inside_a_transaction_and_of_identity_models_use_the_primary(reads_on, rf):
    from django.contrib.sessions.models import Session
    from rest_framework.authtoken.models import Token as TokenModel

    from accounts.models import User

    seen = {}

    def view(request):
        router = ReplicaRouter()
        seen["character"] = router.db_for_read(Character)
        seen["identity"] = {router.db_for_read(m) for m in (User, Session, TokenModel)}
        with transaction.atomic():
            seen["in_transaction"] = router.db_for_read(Character)
        seen["after"] = router.db_for_read(Character)
        return HttpResponse("ok")

    request = rf.get("/")
    request.user = UserFactory()
    _serve(request, view)

    assert seen == {
        "character": REPLICA,
        "identity": {PRIMARY},
        "in_transaction": PRIMARY,
        "after": REPLICA,
    }


def test_outside_a_request_and_for_migrations_only_the_primary_is_used():
    router = ReplicaRouter()

    assert router.db_for_read(Character) == PRIMARY
    assert router.db_for_write(Character) == PRIMARY
    assert router.allow_migrate(PRIMARY, "licensing") is True
    assert router.allow_migrate(REPLICA, "licensing") is False


def test_when_the_cache_is_down_a_signed_in_reader_reads_the_primary(
    reads_on, public_world, client, monkeypatch
):
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    client.force_login(UserFactory())

    def down(*args, **kwargs):
        raise RedisConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)

    with Reads() as reads:
        response = client.get(f"/api/v1/characters/{public_world['character'].pk}/")

    assert response.status_code == 200
    assert reads.replica == []
