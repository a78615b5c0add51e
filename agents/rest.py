"""A REST API call made in this process, through the full Django stack.

Each MCP tool wraps one REST call rather than re-implementing it, so an agent meets the
very same permission checks, screening, rate limits (the same counters as the API and
the studio), price protection and error shape as any API client: the view, its
serializers and its services are the ones the API runs. No socket is involved: the
request is built as a WSGI environ and handed to Django's handler.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpResponse

API_PREFIX = "/api/v1/"

_handler: WSGIHandler | None = None


def _get_handler() -> WSGIHandler:
    global _handler
    if _handler is None:
        _handler = WSGIHandler()
    return _handler


@dataclass(frozen=True)
class ApiResult:
    status: int
    data: Any
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _host() -> str:
    """A host name Django accepts (ALLOWED_HOSTS), for the absolute URLs it builds."""
    for host in settings.ALLOWED_HOSTS:
        if host and not host.startswith((".", "*")):
            return host
    return "localhost"


def _environ(method: str, path: str, *, token: str | None, query: dict, body: bytes) -> dict:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": urlencode({k: v for k, v in query.items() if v is not None}),
        "SERVER_NAME": _host(),
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": _host(),
        "HTTP_ACCEPT": "application/json",
        # Production sits behind a TLS proxy (SECURE_PROXY_SSL_HEADER, SSL redirect).
        "HTTP_X_FORWARDED_PROTO": "https",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Token {token}"
    return environ


def api_call(
    method: str,
    path: str,
    *,
    token: str | None,
    query: dict | None = None,
    body: dict | None = None,
) -> ApiResult:
    """``method`` ``/api/v1/<path>`` as the token's owner; the decoded JSON answer."""
    payload = json.dumps(body).encode() if body is not None else b""
    environ = _environ(method, API_PREFIX + path, token=token, query=query or {}, body=payload)
    response = _get_handler().get_response(WSGIRequest(environ))
    content = response.content if isinstance(response, HttpResponse) else b""
    try:
        data = json.loads(content) if content else None
    except ValueError:
        data = {"code": "error", "detail": content.decode(errors="replace")[:500], "field": None}
    retry_after = response.headers.get("Retry-After")
    return ApiResult(
        status=response.status_code,
        data=data,
        retry_after=int(retry_after) if retry_after and retry_after.isdigit() else None,
    )
