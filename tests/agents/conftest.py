"""A small world for the MCP tests: a studio's character with a published offer, a
creator with an API token, and the streamable HTTP server on a free port in a thread
(it reaches the test database from its own threads, so the data is committed:
``transactional_db``)."""

import socket
import threading
import time

import pytest
import uvicorn
from rest_framework.authtoken.models import Token

from agents.server import build_server
from licensing import services as licensing_services
from tests.builders import verified_studio
from tests.factories import UserFactory, publish_offer


@pytest.fixture
def world(transactional_db):
    organization, (editor,) = verified_studio()
    hoshi = licensing_services.character_create(
        by=editor, name="Hoshi-chan", owner_organization=organization
    )
    offer = publish_offer(
        hoshi,
        rev_share_bps=1_000,
        per_generation_fee=50,
        allowed_actions=["generate", "remix", "publish"],
    )
    creator = UserFactory()
    other = UserFactory()
    return {
        "hoshi": hoshi,
        "offer": offer,
        "creator": creator,
        "token": Token.objects.create(user=creator).key,
        "other": other,
        "other_token": Token.objects.create(user=other).key,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mcp_http_url(transactional_db):
    """The MCP server over streamable HTTP, as `manage.py mcp --http` serves it."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = build_server(public_url=base).streamable_http_app(host="127.0.0.1")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise AssertionError("the MCP server did not start")
        time.sleep(0.05)
    yield f"{base}/mcp"
    server.should_exit = True
    thread.join(timeout=10)
