"""An agent over stdio: the SDK's client starts ``manage.py mcp`` as a subprocess with
the person's token in COCREATE_API_TOKEN, on the test database and a real worker. It
is refused at a higher price, licenses a character, and a generation naming a
character it holds no licence for is refused by the pipeline's policy check."""

import json
import os
import subprocess
import sys
import time

import anyio
import pytest
from mcp import Client, StdioServerParameters

from licensing import services as licensing_services
from licensing.models import Grant
from tests import workers
from tests.factories import fund_wallet
from tests.marketplace.conftest import with_image
from tests.workers import ROOT

# The subprocess shares the test database, which needs PostgreSQL.
pytestmark = [pytest.mark.slow, pytest.mark.postgresql]


def _params(token: str) -> StdioServerParameters:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": workers.test_database_url(),
        "COCREATE_API_TOKEN": token,
    }
    return StdioServerParameters(
        command=sys.executable, args=[str(ROOT / "manage.py"), "mcp"], env=env, cwd=str(ROOT)
    )


def _error(result) -> dict:
    assert result.is_error, result
    return json.loads(result.content[0].text.split(": ", 1)[1])


def test_an_agent_over_stdio_is_held_to_its_price_and_refused_an_unlicensed_character(
    world, pipeline
):
    with_image(world["hoshi"])
    organization = world["hoshi"].owner_organization
    editor = organization.memberships.first().user
    nami = licensing_services.character_create(
        by=editor, name="Captain Nami", owner_organization=organization
    )
    offer = world["offer"]

    async def scenario():
        async with Client(_params(world["token"]), read_timeout_seconds=60) as client:
            terms = {"offer_id": str(offer.pk), "max_fee": 0, "max_rev_share_bps": 1_000}
            too_low = await client.call_tool("accept_offer", {**terms, "max_generation_fee": 0})
            accepted = await client.call_tool("accept_offer", {**terms, "max_generation_fee": 50})
            return too_low, accepted

    too_low, accepted = anyio.run(scenario)

    conflict = _error(too_low)
    assert (conflict["status"], conflict["code"]) == (409, "price_changed")
    assert accepted.structured_content["status"] == "active"
    assert Grant.objects.filter(licensee=world["creator"]).count() == 1

    fund_wallet(world["creator"], 500)

    async def generate():
        async with Client(_params(world["token"]), read_timeout_seconds=60) as client:
            started = await client.call_tool(
                "start_generation",
                {
                    "prompt": "Hoshi-chan meets Captain Nami",
                    "character_ids": [str(world["hoshi"].pk)],
                    "duration_s": 4,
                },
            )
            generation_id = started.structured_content["id"]
            deadline = time.monotonic() + 120
            while True:
                status = await client.call_tool(
                    "generation_status", {"generation_id": generation_id}
                )
                if status.structured_content["status"] in {"refused", "published", "failed"}:
                    return started, status
                assert time.monotonic() < deadline, status.structured_content
                await anyio.sleep(0.5)

    started, status = anyio.run(generate)

    assert not started.is_error
    assert status.structured_content["status"] == "refused"
    reasons = status.structured_content["reasons"]
    assert any(
        r["code"] == "unlicensed_character" and r["character_id"] == str(nami.pk) for r in reasons
    ), reasons


def test_stdio_refuses_to_start_without_a_valid_token(transactional_db, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": workers.test_database_url(),
    }
    missing = subprocess.run(
        [sys.executable, "manage.py", "mcp"],
        cwd=ROOT,
        env={**env, "COCREATE_API_TOKEN": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    wrong = subprocess.run(
        [sys.executable, "manage.py", "mcp"],
        cwd=ROOT,
        env={**env, "COCREATE_API_TOKEN": "not-a-real-token"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert missing.returncode == 1 and "Set COCREATE_API_TOKEN" in missing.stderr
    assert wrong.returncode == 1 and "COCREATE_API_TOKEN was refused" in wrong.stderr
    assert missing.stdout == wrong.stdout == ""
