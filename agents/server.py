"""The MCP server: Cocreate's catalog, licences and studio as tools and resources.

Every tool but the split preview wraps one REST API call (agents/rest.py), made as the
caller with their API token, so the API's permissions, screening, rate limits and price
protection apply unchanged, and its errors (``{"code", "detail", "field"}``) come back
as the tool's error. The split preview has no REST endpoint; it calls the selectors the
studio's preview calls, with the token's owner as the creator.

The token is the caller's API token: ``Authorization: Bearer <token>`` over streamable
HTTP (the SDK's bearer middleware refuses a request without a valid one), or
``COCREATE_API_TOKEN`` for the stdio process (``manage.py mcp``).
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp_types import ToolAnnotations
from pydantic import ConfigDict, Field, StrictBool, StrictInt
from rest_framework.exceptions import AuthenticationFailed

from accounts.api.authentication import TokenAuthentication
from agents.rest import ApiResult, api_call
from licensing import selectors as licensing_selectors
from marketplace import selectors as marketplace_selectors
from payments import selectors as payments_selectors

logger = logging.getLogger("agents.mcp")
T = TypeVar("T")

INSTRUCTIONS = (
    "Cocreate licenses characters (studios' characters and people's likenesses) for short "
    "generated videos. Find a character with search_catalog, read its offers and their terms "
    "with character_offers, check a prompt with screen_prompt, accept an offer with "
    "accept_offer (saying the most you agree to pay: a higher price is refused with "
    "price_changed), then start_generation and poll generation_status. Every call acts as "
    "the person whose API token you hold, within the same rules as the website."
)

Rating = Literal["all_ages", "teen", "mature"]
Page = Annotated[StrictInt, Field(ge=1, description="Page number, 25 items a page")]
Ids = Annotated[list[uuid.UUID], Field(max_length=10, description="Character ids")]
Territory = Annotated[str, Field(max_length=2, description="ISO 3166 country code, or empty")]

READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)


def _db(fn: Callable[..., T]) -> Callable[..., T]:
    """Run ``fn`` as Django runs a request: stale connections closed before and after
    (with CONN_MAX_AGE 0, the default, every call opens and closes its own)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs) -> T:
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return wrapper


@_db
def token_user(token: str):
    """The active user the API token belongs to; AuthenticationFailed as the API says."""
    user, _ = TokenAuthentication().authenticate_credentials(token)
    return user


class ApiTokenVerifier:
    """The SDK's bearer check, against Cocreate's API tokens (a staff token needs its
    second factor, as on the API)."""

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            user = await sync_to_async(token_user)(token)
        except AuthenticationFailed:
            return None
        return AccessToken(token=token, client_id=str(user.pk), scopes=[], subject=str(user.pk))


_call = _db(api_call)


def _refusal(status: int, code: str, detail: str, field: str | None = None) -> ToolError:
    """A tool error in the API's shape, for the one tool that is no REST call."""
    body = {"status": status, "code": code, "detail": detail, "field": field}
    return ToolError(json.dumps(body))


def _error_text(result: ApiResult) -> str:
    """The API's error body with its status (and Retry-After, which an HTTP client would
    read from the header), for the agent to read."""
    body = result.data if isinstance(result.data, dict) else {"detail": result.data}
    extra = {"retry_after": result.retry_after} if result.retry_after else {}
    return json.dumps({"status": result.status, **body, **extra}, ensure_ascii=False, default=str)


class CocreateMCP:
    """Builds the server; ``stdio_token`` is the one caller of a stdio process."""

    def __init__(self, *, stdio_token: str | None = None, public_url: str | None = None):
        self.stdio_token = stdio_token
        kwargs: dict[str, Any] = {}
        if stdio_token is None:
            base = (public_url or "http://127.0.0.1:8001").rstrip("/")
            kwargs = {
                "token_verifier": ApiTokenVerifier(),
                # Validated from text, so the URLs keep the form the SDK compares.
                "auth": AuthSettings.model_validate(
                    {
                        "issuer_url": getattr(settings, "SITE_URL", "") or base,
                        "resource_server_url": f"{base}/mcp",
                        # API tokens are not issued for one audience; the verifier checks
                        # them.
                        "validate_token_resource": False,
                    }
                ),
            }
        self.server = MCPServer(
            name="cocreate", instructions=INSTRUCTIONS, version="1.0.0", **kwargs
        )
        self._register_tools()
        self._forbid_unknown_arguments()
        self._register_resources()

    # --- plumbing -------------------------------------------------------------------------

    def _token(self) -> str | None:
        access = get_access_token()
        return access.token if access is not None else self.stdio_token

    async def _api(self, method: str, path: str, *, tool: str, changes: bool = False, **kw):
        """One REST call as the caller; a refusal becomes a tool error carrying the API's
        error body. A call that changes something is logged like an API call (the REST
        API itself keeps no per-call record)."""
        token = self._token()
        result = await sync_to_async(_call)(method, path, token=token, **kw)
        if changes:
            self._record(tool, path, result)
        if not result.ok:
            raise ToolError(_error_text(result))
        return result.data

    def _record(self, tool: str, path: str, result: ApiResult) -> None:
        access = get_access_token()
        data = result.data if isinstance(result.data, dict) else {}
        logger.info(
            json.dumps(
                {
                    "event": "mcp.tool_call",
                    "tool": tool,
                    "path": path,
                    "user": access.client_id if access else "stdio",
                    "status": result.status,
                    "code": data.get("code") if not result.ok else None,
                    "id": data.get("id") if result.ok else None,
                },
                default=str,
            )
        )

    def _forbid_unknown_arguments(self) -> None:
        """An argument a tool does not take is an error naming it ("Extra inputs are not
        permitted"), and each input schema says so (``additionalProperties: false``):
        the SDK would otherwise drop it silently, and a misspelt filter or price would
        be a call with something else than the agent meant."""
        for tool in self.server._tool_manager.list_tools():
            loose = tool.fn_metadata.arg_model
            tool.fn_metadata.arg_model = type(
                loose.__name__,
                (loose,),
                {"model_config": ConfigDict(**{**loose.model_config, "extra": "forbid"})},
            )
            tool.parameters["additionalProperties"] = False

    # --- tools ----------------------------------------------------------------------------

    def _register_tools(self) -> None:
        mcp = self.server
        api = self._api

        @mcp.tool(annotations=READ)
        async def search_catalog(
            query: Annotated[str, Field(max_length=200)] = "",
            kind: Literal["character", "likeness"] | None = None,
            franchise: Annotated[str, Field(max_length=200)] = "",
            commercial: StrictBool | None = None,
            free: StrictBool | None = None,
            page: Page = 1,
        ) -> dict[str, Any]:
            """Search the catalog of licensable characters by name, alias or franchise."""
            params = {
                "q": query,
                "kind": kind,
                "franchise": franchise,
                "commercial": None if commercial is None else str(commercial).lower(),
                "free": None if free is None else str(free).lower(),
                "page": page,
            }
            return await api("GET", "characters/", tool="search_catalog", query=params)

        @mcp.tool(annotations=READ)
        async def character_offers(character_id: uuid.UUID) -> dict[str, Any]:
            """A character and its offers: each offer's terms, their plain-language summary
            and the same terms as an ODRL 2.2 policy (JSON-LD)."""
            character = await api("GET", f"characters/{character_id}/", tool="character_offers")
            for offer in character.get("offers") or []:
                offer["odrl"] = await api(
                    "GET", f"offers/{offer['id']}/odrl/", tool="character_offers"
                )
            return character

        @mcp.tool(annotations=READ)
        async def screen_prompt(
            prompt: Annotated[str, Field(max_length=2000)],
            character_ids: Ids = [],  # noqa: B006 (pydantic copies defaults)
            territory: Territory = "",
            commercial: StrictBool = False,
            rating: Rating = "all_ages",
        ) -> dict[str, Any]:
            """Check a prompt against the licences it would need, as a generation would be
            checked: the decision and each reason with the term behind it."""
            body = {
                "prompt": prompt,
                "character_ids": [str(c) for c in character_ids],
                "territory": territory,
                "commercial": commercial,
                "rating": rating,
            }
            return await api("POST", "screen/", tool="screen_prompt", body=body)

        @mcp.tool(annotations=WRITE)
        async def accept_offer(
            offer_id: uuid.UUID,
            max_fee: Annotated[StrictInt, Field(ge=0, description="Most upfront, minor units")],
            max_rev_share_bps: Annotated[StrictInt, Field(ge=0, le=10_000)],
            max_generation_fee: Annotated[
                StrictInt, Field(ge=0, description="Most per video, minor units")
            ] = 0,
        ) -> dict[str, Any]:
            """Accept an offer's current version for the caller: the licence (grant), and a
            checkout_url when an upfront fee is due. Refused with price_changed if the
            offer now asks more than any of the maxima given."""
            body = {
                "max_fee": max_fee,
                "max_rev_share_bps": max_rev_share_bps,
                "max_generation_fee": max_generation_fee,
            }
            return await api(
                "POST", f"offers/{offer_id}/accept/", tool="accept_offer", changes=True, body=body
            )

        @mcp.tool(annotations=WRITE)
        async def start_generation(
            prompt: Annotated[str, Field(max_length=2000)],
            character_ids: Annotated[list[uuid.UUID], Field(max_length=4)] = [],  # noqa: B006
            parent_work_id: uuid.UUID | None = None,
            duration_s: StrictInt = 5,
            commercial: StrictBool = False,
            territory: Territory = "",
            rating: Rating = "all_ages",
        ) -> dict[str, Any]:
            """Ask for a video (a remix when parent_work_id is given). It is queued, checked
            against the licences, rendered and signed; poll generation_status."""
            body: dict[str, Any] = {
                "prompt": prompt,
                "character_ids": [str(c) for c in character_ids],
                "duration_s": duration_s,
                "commercial": commercial,
                "territory": territory,
                "rating": rating,
            }
            if parent_work_id is not None:
                body["parent_work_id"] = str(parent_work_id)
            return await api(
                "POST", "generations/", tool="start_generation", changes=True, body=body
            )

        @mcp.tool(annotations=READ)
        async def generation_status(generation_id: uuid.UUID) -> dict[str, Any]:
            """One of the caller's generations: status, progress, the policy's reasons
            and, once published, the work's id."""
            return await api("GET", f"generations/{generation_id}/", tool="generation_status")

        @mcp.tool(annotations=READ)
        async def my_licences(page: Page = 1) -> dict[str, Any]:
            """The caller's licences (grants) as a licensee, newest first."""
            return await api("GET", "grants/", tool="my_licences", query={"page": page})

        @mcp.tool(annotations=READ)
        async def my_works(
            status: Literal["draft", "pending_approval", "published", "delisted"] | None = None,
            page: Page = 1,
        ) -> dict[str, Any]:
            """The caller's works in every state, newest first."""
            query = {"mine": "true", "status": status, "page": page}
            return await api("GET", "works/", tool="my_works", query=query)

        @mcp.tool(annotations=READ)
        async def remix_split_preview(
            parent_work_id: uuid.UUID,
            character_ids: Ids = [],  # noqa: B006
        ) -> dict[str, Any]:
            """Who would receive what share of a remix's revenue: the parent's rightsholders
            and creators upstream, the added characters' rightsholders, the platform and
            the caller, from the engine that splits it."""
            lines = await sync_to_async(self._split_preview)(parent_work_id, character_ids)
            return {"split": lines}

    @_db
    def _split_preview(self, parent_work_id, character_ids) -> list[dict[str, Any]]:
        token = self._token()
        try:
            user = token_user(token) if token else None
        except AuthenticationFailed as error:
            raise _refusal(401, "authentication_failed", str(error.detail)) from None
        if user is None:
            raise _refusal(401, "not_authenticated", "No API token.")
        parent = marketplace_selectors.work_visible_to(pk=parent_work_id, user=user)
        if parent is None:
            raise _refusal(404, "not_found", "No such work.", field="parent_work_id")
        # A character the caller holds no licence for would be left out of the split
        # without a word: say so instead (the parent's own characters need none).
        parent_characters = {lic.character_id for lic in parent.licenses.all()}
        licensed = {
            grant.character_id
            for grant in licensing_selectors.grants_active_for(
                licensee=user, character_ids=[str(c) for c in character_ids]
            )
        }
        for character_id in character_ids:
            if character_id not in parent_characters | licensed:
                raise _refusal(
                    409,
                    "no_licence",
                    f"You hold no active licence for character {character_id}.",
                    field="character_ids",
                )
        lines = payments_selectors.remix_split_preview(
            parent=parent, character_ids=[str(c) for c in character_ids], creator=user
        )
        return [
            {
                "party": line.party.name,
                "party_kind": line.party.kind,
                "role": line.role,
                "bps": line.bps,
                "percent": line.percent,
                "detail": line.detail,
            }
            for line in lines
        ]

    # --- resources ------------------------------------------------------------------------

    async def _read(self, path: str) -> Any:
        result = await sync_to_async(_call)("GET", path, token=self._token())
        if not result.ok:
            raise ResourceError(_error_text(result))
        return result.data

    def _register_resources(self) -> None:
        mcp = self.server
        read = self._read

        @mcp.resource("cocreate://characters/{character_id}", mime_type="application/json")
        async def character(character_id: str) -> str:
            """A character: names, kind, rightsholder, images and published offers."""
            return json.dumps(await read(f"characters/{_uuid(character_id)}/"))

        @mcp.resource("cocreate://offers/{offer_id}", mime_type="application/ld+json")
        async def offer(offer_id: str) -> str:
            """An offer's terms as an ODRL 2.2 policy (odrl:Offer, JSON-LD)."""
            return json.dumps(await read(f"offers/{_uuid(offer_id)}/odrl/"))

        @mcp.resource("cocreate://works/{work_id}", mime_type="application/json")
        async def work(work_id: str) -> str:
            """A work with its provenance: the licences it was made under (offer, terms
            hash, rightsholder), its lineage and its signed C2PA manifest."""
            pk = _uuid(work_id)
            detail = await read(f"works/{pk}/")
            detail["manifest"] = await sync_to_async(self._manifest)(pk)
            return json.dumps(detail)

    @_db
    def _manifest(self, pk: uuid.UUID) -> dict:
        token = self._token()
        try:
            user = token_user(token) if token else None
        except AuthenticationFailed:
            return {}
        if user is None:
            return {}
        work = marketplace_selectors.work_visible_to(pk=pk, user=user)
        return dict(work.manifest) if work is not None else {}


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ResourceError(
            json.dumps({"status": 400, "code": "invalid", "detail": f"'{value}' is not an id."})
        ) from None


def build_server(*, stdio_token: str | None = None, public_url: str | None = None) -> MCPServer:
    """The MCP server; with ``stdio_token`` for one caller over stdio, else for HTTP
    callers who each bring their own bearer token."""
    return CocreateMCP(stdio_token=stdio_token, public_url=public_url).server
