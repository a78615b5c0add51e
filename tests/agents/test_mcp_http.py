"""An agent over streamable HTTP, driven by the SDK's own client: it finds a character,
reads its terms, is refused at a higher price, licenses it, and meets the API's rules
(fees, ownership, types, the bearer token) with nothing changed on a refusal."""

import json
import logging

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from rest_framework.test import APIClient

from licensing.models import Grant
from marketplace.models import GenerationRequest
from tests.factories import WorkFactory, grant_for

# The server's threads reach the committed test database on their own connections.
pytestmark = pytest.mark.postgresql


def _client(url: str, token: str | None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60))
    return Client(streamable_http_client(url, http_client=http))


def _run(url: str, token: str, calls):
    """Run ``calls(client)`` in one MCP session; its return value."""

    async def scenario():
        async with _client(url, token) as client:
            return await calls(client)

    return anyio.run(scenario)


def _error(result) -> dict:
    """The API's error body a refused tool call carries (after the SDK's "Error executing
    tool <name>: ")."""
    assert result.is_error, result
    return json.loads(result.content[0].text.split(": ", 1)[1])


def test_an_agent_finds_a_character_reads_its_terms_and_licenses_it(world, mcp_http_url):
    hoshi, offer = world["hoshi"], world["offer"]

    async def calls(client):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        found = await client.call_tool("search_catalog", {"query": "Hoshi"})
        offers = await client.call_tool("character_offers", {"character_id": str(hoshi.pk)})
        too_low = await client.call_tool(
            "accept_offer",
            {
                "offer_id": str(offer.pk),
                "max_fee": 0,
                "max_rev_share_bps": 1_000,
                "max_generation_fee": 49,
            },
        )
        accepted = await client.call_tool(
            "accept_offer",
            {
                "offer_id": str(offer.pk),
                "max_fee": 0,
                "max_rev_share_bps": 1_000,
                "max_generation_fee": 50,
            },
        )
        licences = await client.call_tool("my_licences", {})
        odrl = await client.read_resource(f"cocreate://offers/{offer.pk}")
        return tools, found, offers, too_low, accepted, licences, odrl

    tools, found, offers, too_low, accepted, licences, odrl = _run(
        mcp_http_url, world["token"], calls
    )

    assert {
        "search_catalog",
        "character_offers",
        "screen_prompt",
        "accept_offer",
        "start_generation",
        "generation_status",
        "my_licences",
        "my_works",
        "remix_split_preview",
    } <= set(tools)
    assert tools["search_catalog"].annotations.read_only_hint is True
    assert tools["accept_offer"].annotations.read_only_hint is False
    assert tools["accept_offer"].input_schema["required"] == [
        "offer_id",
        "max_fee",
        "max_rev_share_bps",
    ]
    assert [c["id"] for c in found.structured_content["results"]] == [str(hoshi.pk)]
    (listed,) = offers.structured_content["offers"]
    assert listed["id"] == str(offer.pk)
    assert "$0.50" in listed["summary"]
    assert listed["odrl"]["type"] == "odrl:Offer"
    assert listed["odrl"]["uid"].endswith(f"/api/v1/offers/{offer.pk}/odrl/")
    conflict = _error(too_low)
    assert conflict["status"] == 409
    assert conflict["code"] == "price_changed"
    assert conflict["field"] == "max_generation_fee"
    assert accepted.structured_content["status"] == "active"
    grant = Grant.objects.get(licensee=world["creator"])
    assert str(grant.pk) == accepted.structured_content["id"]
    assert [g["id"] for g in licences.structured_content["results"]] == [str(grant.pk)]
    (contents,) = odrl.contents
    assert contents.mime_type == "application/ld+json"
    assert json.loads(contents.text)["uid"].endswith(f"/api/v1/offers/{offer.pk}/odrl/")


def test_a_generation_the_wallet_cannot_pay_for_is_refused_and_nothing_is_queued(
    world, mcp_http_url, caplog
):
    grant_for(world["hoshi"], world["creator"], per_generation_fee=50)
    caplog.set_level(logging.INFO, logger="agents.mcp")

    async def calls(client):
        screened = await client.call_tool(
            "screen_prompt",
            {"prompt": "Hoshi-chan dances in the rain", "character_ids": [str(world["hoshi"].pk)]},
        )
        refused = await client.call_tool(
            "start_generation",
            {"prompt": "Hoshi-chan dances in the rain", "character_ids": [str(world["hoshi"].pk)]},
        )
        return screened, refused

    screened, refused = _run(mcp_http_url, world["token"], calls)

    assert screened.structured_content["allowed"] is True
    error = _error(refused)
    assert error["status"] == 402
    assert error["code"] == "insufficient_funds"
    assert error["shortfall"] == 50
    assert not GenerationRequest.objects.filter(creator=world["creator"]).exists()
    (record,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "agents.mcp"]
    assert record == {
        "event": "mcp.tool_call",
        "tool": "start_generation",
        "path": "generations/",
        "user": str(world["creator"].pk),
        "status": 402,
        "code": "insufficient_funds",
        "id": None,
    }


def test_wrong_types_and_another_users_ids_are_clear_errors_and_change_nothing(world, mcp_http_url):
    hoshi = world["hoshi"]
    others = grant_for(hoshi, world["other"], allowed_actions=["generate", "remix", "publish"])
    draft = WorkFactory(creator=world["other"], status="draft", grants=[others])
    request = draft.request

    async def calls(client):
        as_text = await client.call_tool(
            "accept_offer",
            {"offer_id": str(world["offer"].pk), "max_fee": "0", "max_rev_share_bps": 1_000},
        )
        not_an_id = await client.call_tool("generation_status", {"generation_id": "42"})
        their_generation = await client.call_tool(
            "generation_status", {"generation_id": str(request.pk)}
        )
        their_draft = await client.call_tool(
            "remix_split_preview", {"parent_work_id": str(draft.pk)}
        )
        remix_their_draft = await client.call_tool(
            "start_generation", {"prompt": "More rain", "parent_work_id": str(draft.pk)}
        )
        return as_text, not_an_id, their_generation, their_draft, remix_their_draft

    as_text, not_an_id, their_generation, their_draft, remix_their_draft = _run(
        mcp_http_url, world["token"], calls
    )

    assert as_text.is_error and "max_fee" in as_text.content[0].text
    assert not_an_id.is_error and "generation_id" in not_an_id.content[0].text
    assert _error(their_generation)["status"] == 404
    assert _error(their_draft) == {
        "status": 404,
        "code": "not_found",
        "detail": "No such work.",
        "field": "parent_work_id",
    }
    assert _error(remix_their_draft)["status"] == 404
    assert not Grant.objects.filter(licensee=world["creator"]).exists()
    assert not GenerationRequest.objects.filter(creator=world["creator"]).exists()


def test_the_split_preview_and_the_works_resource_show_a_remixs_parties(world, mcp_http_url):
    others = grant_for(world["hoshi"], world["other"], rev_share_bps=1_000)
    parent = WorkFactory(creator=world["other"], grants=[others], title="Rain dance")

    async def calls(client):
        split = await client.call_tool("remix_split_preview", {"parent_work_id": str(parent.pk)})
        work = await client.read_resource(f"cocreate://works/{parent.pk}")
        mine = await client.call_tool("my_works", {})
        return split, work, mine

    split, work, mine = _run(mcp_http_url, world["token"], calls)

    roles = {line["role"]: line for line in split.structured_content["split"]}
    assert set(roles) == {"rightsholder", "upstream_creator", "platform", "creator"}
    assert roles["rightsholder"]["party"] == world["hoshi"].rightsholder_name
    assert sum(line["bps"] for line in split.structured_content["split"]) == 10_000
    detail = json.loads(work.contents[0].text)
    assert detail["id"] == str(parent.pk)
    assert [lic["offer"] for lic in detail["licenses"]] == [str(others.offer_id)]
    assert "manifest" in detail
    assert mine.structured_content["results"] == []


def test_a_request_without_a_valid_bearer_token_is_refused(world, mcp_http_url):
    async def post(headers):
        async with httpx2.AsyncClient() as http:
            return await http.post(
                mcp_http_url,
                headers={"Accept": "application/json, text/event-stream", **headers},
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
            )

    none = anyio.run(post, {})
    wrong = anyio.run(post, {"Authorization": "Bearer not-a-real-token"})

    assert none.status_code == 401
    assert wrong.status_code == 401


def test_an_agent_spends_the_same_screening_budget_as_the_api(world, mcp_http_url, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "screen": "2/m"}
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {world['token']}")
    body = {"prompt": "Hoshi-chan waves", "character_ids": [str(world["hoshi"].pk)]}
    assert api.post("/api/v1/screen/", body, format="json").status_code == 200

    async def calls(client):
        first = await client.call_tool("screen_prompt", body)
        second = await client.call_tool("screen_prompt", body)
        return first, second

    first, second = _run(mcp_http_url, world["token"], calls)

    assert not first.is_error
    limited = _error(second)
    assert (limited["status"], limited["code"]) == (429, "throttled")
    assert limited["retry_after"] > 0
    assert api.post("/api/v1/screen/", body, format="json").status_code == 429


def test_another_users_draft_is_not_a_resource(world, mcp_http_url):
    others = grant_for(world["hoshi"], world["other"])
    draft = WorkFactory(creator=world["other"], status="draft", grants=[others])

    async def calls(client):
        try:
            await client.read_resource(f"cocreate://works/{draft.pk}")
        except MCPError as error:
            return str(error)
        return None

    refused = _run(mcp_http_url, world["token"], calls)

    assert refused is not None and '"status": 404' in refused
