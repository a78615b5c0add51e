"""Read replicas against a real streaming replica: a second PostgreSQL cluster on this
machine (tests/pg_replica.py) and the site served by ``manage.py runserver`` with
``DATABASE_REPLICA_URL`` pointing at it. With the replica's replay paused (lag as long
as we like), the person who just changed a character reads the change on their next
request, from the primary, while an anonymous reader of the same public page still
reads the replica's older copy; after the sticky window the writer reads the replica
again, and once replay resumes everyone sees the change."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connection
from rest_framework.authtoken.models import Token

from core.replicas import STICKY_COOKIE
from tests import workers
from tests.factories import CharacterFactory, editor_of, publish_offer
from tests.pg_replica import sql, start_replica

pytestmark = [pytest.mark.postgresql, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
STICKY_SECONDS = 3
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture(scope="session")
def replica(django_db_setup):
    """A streaming replica of the test database's server, for the session."""
    settings = connection.settings_dict
    cluster = start_replica(host=settings["HOST"] or "127.0.0.1", port=int(settings["PORT"]))
    yield cluster
    cluster.drop()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def site(replica, transactional_db, tmp_path, settings):
    """The site on a free port, reading the primary and the replica of the test
    database, sticky for STICKY_SECONDS; its cache is the suite's."""
    port = _free_port()
    primary = workers.test_database_url()
    database = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": primary,
        "DATABASE_REPLICA_URL": replica.url(database),
        "REPLICA_STICKY_SECONDS": str(STICKY_SECONDS),
        "REDIS_URL": settings.CACHES["default"]["LOCATION"],
        # Jobs stay in the outbox: no worker of this test's runs them.
        "BROKER_URL": UNREACHABLE_BROKER,
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    log = (tmp_path / "runserver.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/catalog/", timeout=5)
            break
        except requests.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(
                    "runserver did not start:\n" + (tmp_path / "runserver.log").read_text()
                ) from None
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(timeout=20)
    log.close()


def _description(session: requests.Session, url: str) -> str:
    response = session.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["description"]


def test_the_writer_reads_their_change_at_once_while_the_lagging_replica_serves_others(
    replica, site
):
    # given: a public character, and its editor's API token, on both databases
    character = CharacterFactory(name="Hoshi-chan", description="Sunny")
    publish_offer(character)
    token = Token.objects.create(user=editor_of(character)).key
    replica.catch_up()
    database = connection.settings_dict["NAME"]
    assert sql(replica.dsn(database), "SELECT pg_is_in_recovery()") is True
    api = f"{site}/api/v1/characters/{character.pk}/"
    page = f"{site}/characters/{character.pk}/"
    anonymous = requests.Session()
    assert _description(anonymous, api) == "Sunny"

    replica.pause()
    try:
        # when: the editor changes the description while the replica lags
        writer = requests.Session()
        writer.headers["Authorization"] = f"Token {token}"
        changed = writer.patch(api, json={"description": "Rainy"}, timeout=10)
        assert changed.status_code == 200, changed.text
        assert changed.json()["description"] == "Rainy"
        assert STICKY_COOKIE in changed.cookies

        # then: the primary has it; the replica does not yet
        assert sql(workers.test_database_url(), "SELECT description FROM licensing_character "
                   "WHERE id = %s", character.pk) == "Rainy"  # fmt: skip
        assert sql(replica.dsn(database), "SELECT description FROM licensing_character "
                   "WHERE id = %s", character.pk) == "Sunny"  # fmt: skip
        # the editor's next requests read the primary: with their token alone (the
        # cache remembers them) and in their browser session (the signed cookie)
        token_only = requests.Session()
        token_only.headers["Authorization"] = f"Token {token}"
        assert _description(token_only, api) == "Rainy"
        assert _description(writer, api) == "Rainy"
        browser = requests.Session()
        browser.cookies.set(STICKY_COOKIE, changed.cookies[STICKY_COOKIE])
        assert "Rainy" in browser.get(page, timeout=10).text
        # an anonymous reader of the public page and its API reads the lagging replica
        assert _description(anonymous, api) == "Sunny"
        shown = anonymous.get(page, timeout=10).text
        assert "Sunny" in shown and "Rainy" not in shown

        # when: the sticky window has passed, the editor reads the replica again
        time.sleep(STICKY_SECONDS + 0.5)
        assert _description(token_only, api) == "Sunny"
    finally:
        replica.resume()

    # then: once the replica has caught up, everyone reads the change
    replica.catch_up()
    assert _description(anonymous, api) == "Rainy"
    assert "Rainy" in anonymous.get(page, timeout=10).text
