"""Bad input to every MCP tool and resource (issue 20): wrong argument types, missing
arguments, malformed and unknown ids, and other people's ids. Each is a tool error
whose message names the problem (the argument, or the API's refusal with its status),
never a traceback or a 500, and nothing changes in the database."""

import json

import pytest
from mcp.shared.exceptions import MCPError

from licensing.models import Grant
from marketplace.models import GenerationRequest, Work
from payments.models import LedgerEntry
from tests.agents.test_mcp_http import _run
from tests.factories import CharacterFactory, OfferFactory, WorkFactory, fund_wallet, grant_for

pytestmark = pytest.mark.postgresql

UNKNOWN = "5f0c6a4e-0000-4000-8000-000000000000"


def _counts() -> dict[str, int]:
    from core.models import OutboxMessage

    return {
        "generations": GenerationRequest.objects.count(),
        "grants": Grant.objects.count(),
        "works": Work.objects.count(),
        "ledger entries": LedgerEntry.objects.count(),
        "outbox messages": OutboxMessage.objects.count(),
    }


@pytest.fixture
def others(world):
    """What belongs to someone else: another user's licence, draft and generation, and
    another studio's draft offer and suspended character."""
    hoshi, other = world["hoshi"], world["other"]
    licence = grant_for(hoshi, other, allowed_actions=["generate", "remix", "publish"])
    draft = WorkFactory(creator=other, status="draft", grants=[licence])
    hidden = CharacterFactory(name="Hidden One", status="suspended")
    return {
        "licence": licence,
        "draft": draft,
        "generation": draft.request,
        "draft_offer": OfferFactory(character=CharacterFactory(name="Kaze"), status="draft"),
        "hidden": hidden,
    }


def _cases(world, others) -> list[tuple[str, dict, str]]:
    """(tool, arguments, what the error message must name)."""
    hoshi, offer = str(world["hoshi"].pk), str(world["offer"].pk)
    draft, generation = str(others["draft"].pk), str(others["generation"].pk)
    accept = {"offer_id": offer, "max_fee": 0, "max_rev_share_bps": 1_000}
    parent = str(WorkFactory(creator=world["other"]).pk)
    return [
        # search_catalog
        ("search_catalog", {"query": ["Hoshi"]}, "query"),
        ("search_catalog", {"page": "2"}, "page"),
        ("search_catalog", {"page": 0}, "page"),
        ("search_catalog", {"commercial": "yes"}, "commercial"),
        ("search_catalog", {"kind": "robot"}, "kind"),
        ("search_catalog", {"query": "Hoshi", "colour": "red"}, "colour"),
        # character_offers
        ("character_offers", {}, "character_id"),
        ("character_offers", {"character_id": "42"}, "character_id"),
        ("character_offers", {"character_id": 42}, "character_id"),
        ("character_offers", {"character_id": [hoshi]}, "character_id"),
        ("character_offers", {"character_id": UNKNOWN}, '"status": 404'),
        ("character_offers", {"character_id": str(others["hidden"].pk)}, '"status": 404'),
        # screen_prompt
        ("screen_prompt", {}, "prompt"),
        ("screen_prompt", {"prompt": ["Hoshi"]}, "prompt"),
        ("screen_prompt", {"prompt": "Hoshi", "character_ids": hoshi}, "character_ids"),
        ("screen_prompt", {"prompt": "Hoshi", "character_ids": ["nope"]}, "character_ids"),
        ("screen_prompt", {"prompt": "Hoshi", "commercial": "true"}, "commercial"),
        ("screen_prompt", {"prompt": "Hoshi", "rating": "nsfw"}, "rating"),
        ("screen_prompt", {"prompt": "Hoshi", "territory": "USA"}, "territory"),
        # accept_offer
        ("accept_offer", {**accept, "max_fee": "0"}, "max_fee"),
        ("accept_offer", {**accept, "max_fee": 0.5}, "max_fee"),
        ("accept_offer", {**accept, "max_fee": True}, "max_fee"),
        ("accept_offer", {**accept, "max_fee": -1}, "max_fee"),
        ("accept_offer", {**accept, "max_fee": 10**12}, "max_fee"),
        ("accept_offer", {"offer_id": offer, "max_fee": 0}, "max_rev_share_bps"),
        ("accept_offer", {**accept, "max_rev_share_bps": 20_000}, "max_rev_share_bps"),
        ("accept_offer", {**accept, "max_generation_fee": "50"}, "max_generation_fee"),
        ("accept_offer", {**accept, "offer_id": "offer-1"}, "offer_id"),
        ("accept_offer", {**accept, "offer_id": UNKNOWN}, '"status": 404'),
        ("accept_offer", {**accept, "offer_id": str(others["draft_offer"].pk)}, '"status": 404'),
        # start_generation
        ("start_generation", {}, "prompt"),
        ("start_generation", {"prompt": 5}, "prompt"),
        ("start_generation", {"prompt": "Rain", "duration_s": "5"}, "duration_s"),
        ("start_generation", {"prompt": "Rain", "duration_s": -3}, "duration_s"),
        ("start_generation", {"prompt": "Rain", "commercial": 1}, "commercial"),
        ("start_generation", {"prompt": "Rain", "character_ids": [hoshi] * 5}, "character_ids"),
        ("start_generation", {"prompt": "Rain", "character_ids": [UNKNOWN]}, "character_ids"),
        ("start_generation", {"prompt": "Rain", "parent_work_id": "w1"}, "parent_work_id"),
        ("start_generation", {"prompt": "Rain", "parent_work_id": UNKNOWN}, '"status": 404'),
        ("start_generation", {"prompt": "Rain", "parent_work_id": draft}, '"status": 404'),
        # generation_status
        ("generation_status", {}, "generation_id"),
        ("generation_status", {"generation_id": 42}, "generation_id"),
        ("generation_status", {"generation_id": UNKNOWN}, '"status": 404'),
        ("generation_status", {"generation_id": generation}, '"status": 404'),
        # my_licences, my_works
        ("my_licences", {"page": "1"}, "page"),
        ("my_licences", {"page": 999}, '"status": 404'),
        ("my_works", {"status": "secret"}, "status"),
        ("my_works", {"page": [1]}, "page"),
        # remix_split_preview
        ("remix_split_preview", {}, "parent_work_id"),
        ("remix_split_preview", {"parent_work_id": "p"}, "parent_work_id"),
        ("remix_split_preview", {"parent_work_id": UNKNOWN}, '"status": 404'),
        ("remix_split_preview", {"parent_work_id": draft}, '"status": 404'),
        ("remix_split_preview", {"parent_work_id": parent, "character_ids": [1]}, "character_ids"),
        # Only someone else holds a licence for Hoshi-chan; nobody for an unknown id.
        ("remix_split_preview", {"parent_work_id": parent, "character_ids": [hoshi]}, hoshi),
        ("remix_split_preview", {"parent_work_id": parent, "character_ids": [UNKNOWN]}, UNKNOWN),
    ]


def test_every_tool_refuses_bad_arguments_and_other_peoples_ids_clearly_changing_nothing(
    world, others, mcp_http_url
):
    # given: the caller can pay, so that only the input can refuse a call
    fund_wallet(world["creator"], 10_000)
    cases = _cases(world, others)
    before = _counts()

    async def calls(client):
        return [await client.call_tool(tool, arguments) for tool, arguments, _ in cases]

    # when
    results = _run(mcp_http_url, world["token"], calls)

    # then
    unclear = []
    for (tool, arguments, named), result in zip(cases, results, strict=True):
        text = result.content[0].text if result.content else ""
        if not result.is_error or named not in text or "Traceback" in text or "500" in text:
            unclear.append((tool, arguments, result.is_error, text[:300]))
    assert unclear == [], "\n".join(map(repr, unclear))
    assert _counts() == before


def test_screening_an_unknown_character_is_a_refusal_that_names_it(world, mcp_http_url):
    # The API screens rather than errs: the decision refuses, naming the id.
    async def calls(client):
        return await client.call_tool(
            "screen_prompt", {"prompt": "Hoshi-chan", "character_ids": [UNKNOWN]}
        )

    decision = _run(mcp_http_url, world["token"], calls)

    assert not decision.is_error
    assert decision.structured_content["allowed"] is False
    unknown = [
        r for r in decision.structured_content["reasons"] if r["code"] == "unknown_character"
    ]
    assert unknown and UNKNOWN in unknown[0]["message"]


def test_every_resource_refuses_malformed_unknown_and_hidden_ids(world, others, mcp_http_url):
    uris = [
        "cocreate://characters/not-an-id",
        f"cocreate://characters/{UNKNOWN}",
        f"cocreate://characters/{others['hidden'].pk}",
        "cocreate://offers/42",
        f"cocreate://offers/{UNKNOWN}",
        f"cocreate://offers/{others['draft_offer'].pk}",
        "cocreate://works/x",
        f"cocreate://works/{UNKNOWN}",
        f"cocreate://works/{others['draft'].pk}",
    ]
    before = _counts()

    async def calls(client):
        answers = []
        for uri in uris:
            try:
                await client.read_resource(uri)
            except MCPError as error:
                answers.append(str(error))
            else:
                answers.append(None)
        return answers

    answers = _run(mcp_http_url, world["token"], calls)

    statuses = []
    for answer in answers:
        assert answer is not None
        body = json.loads(answer[answer.index("{") :])
        statuses.append(body["status"])
        assert body["detail"]
    assert statuses == [400, 404, 404, 400, 404, 404, 400, 404, 404]
    assert _counts() == before
