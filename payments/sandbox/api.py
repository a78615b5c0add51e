"""The sandbox's Stripe API over HTTP, as stripe-python speaks it: form-encoded
parameters, ``Authorization: Bearer <key>``, JSON answers with Stripe's error shape,
and Stripe's idempotency (the same ``Idempotency-Key`` with the same parameters replays
the first answer; with other parameters it is an ``idempotency_error``; a key still in
use answers 409, which stripe-python retries)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from payments.sandbox import objects
from payments.sandbox.endpoints import route
from payments.sandbox.mode import sandbox_active, sandbox_api_key
from payments.sandbox.models import SandboxRequest
from payments.sandbox.store import StripeFail

log = logging.getLogger(__name__)


def parse_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` pairs into nested dicts and lists (values stay strings)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        parts = [head, *re.findall(r"([^\[\]]*)\]", rest)]
        node = root
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return _listify(root)


def _listify(value: Any, key: str = "") -> Any:
    if not isinstance(value, dict):
        return value
    items = {k: _listify(v, k) for k, v in value.items()}
    if items and key != "metadata" and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def _answer(status: int, body: dict, request_id: str, key: str | None, **headers: str):
    response = JsonResponse(body, status=status, json_dumps_params={"indent": 2})
    response["Request-Id"] = request_id
    response["Stripe-Version"] = objects.API_VERSION
    if key:
        response["Idempotency-Key"] = key
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _replay(saved: SandboxRequest, method: str, path: str, params: dict, request_id: str):
    if (saved.method, saved.path) != (method, path) or saved.params != params:
        fail = StripeFail(
            400,
            "Keys for idempotent requests can only be used with the same parameters and "
            "endpoint they were first used with. Try using a key other than "
            f"'{saved.key}' if you meant to execute a different request.",
            type_="idempotency_error",
        )
        return _answer(fail.status, fail.body(), request_id, saved.key)
    return _answer(
        saved.status,
        saved.body,
        request_id,
        saved.key,
        Idempotent_Replayed="true",
        Original_Request=saved.request_id,
    )


@csrf_exempt
def stripe_api(request: HttpRequest, endpoint: str):
    """Every call to ``/sandbox/stripe/<endpoint>``. A 404 unless in test mode."""
    if not sandbox_active():
        raise Http404("The payments sandbox runs only in test mode.")
    request_id = objects.new_id("req", 14)
    if request.headers.get("Authorization", "") != f"Bearer {sandbox_api_key()}":
        fail = StripeFail(401, "Invalid API Key provided.", type_="invalid_request_error")
        return _answer(401, fail.body(), request_id, None)
    method, path = request.method or "GET", "/" + endpoint
    found = route(method, path)
    if found is None:
        fail = StripeFail(404, f"Unrecognized request URL ({method}: {path}).")
        return _answer(404, fail.body(), request_id, None)
    if request.headers.get("Stripe-Account"):
        fail = StripeFail(400, "The sandbox does not act on connected accounts (Stripe-Account).")
        return _answer(400, fail.body(), request_id, None)
    if method == "POST":
        pairs = parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    else:
        pairs = [(k, v) for k, values in request.GET.lists() for v in values]
    params = parse_form(pairs)
    key = (request.headers.get("Idempotency-Key") or None) if method == "POST" else None
    if key is not None and len(key) > 255:
        fail = StripeFail(
            400, "Idempotency-Key is longer than 255 characters.", type_="idempotency_error"
        )
        return _answer(400, fail.body(), request_id, None)
    if key is not None:
        saved = SandboxRequest.objects.filter(key=key).first()
        if saved is not None:
            return _replay(saved, method, path, params, request_id)
    endpoint_fn, args = found
    context = {"id": request_id, "idempotency_key": key}
    try:
        with transaction.atomic():
            body = endpoint_fn(params, context, *args)
            if key is not None:
                _save(key, method, path, params, 200, body, request_id)
        return _answer(200, body, request_id, key)
    except StripeFail as fail:
        if key is not None and fail.saved:
            try:
                with transaction.atomic():
                    _save(key, method, path, params, fail.status, fail.body(), request_id)
            except IntegrityError:
                return _concurrent(key, method, path, params, request_id)
        return _answer(fail.status, fail.body(), request_id, key)
    except IntegrityError:
        if key is None:
            raise
        return _concurrent(key, method, path, params, request_id)
    except Exception:
        # A bug in the sandbox: answer as Stripe answers its own errors, and say that
        # retrying will not help (stripe-python would otherwise retry a 500).
        log.exception("the payments sandbox failed on %s %s [%s]", method, path, request_id)
        fail = StripeFail(500, f"The sandbox failed on this request ({request_id}).",
                          type_="api_error")  # fmt: skip
        return _answer(500, fail.body(), request_id, key, Stripe_Should_Retry="false")


def _save(key, method, path, params, status, body, request_id) -> None:
    SandboxRequest.objects.create(
        key=key,
        method=method,
        path=path,
        params=params,
        status=status,
        body=json.loads(json.dumps(body)),
        request_id=request_id,
    )


def _concurrent(key: str, method: str, path: str, params: dict, request_id: str):
    """Another request with this key finished first: replay its answer (or, if it is
    still running, say so with a 409 that stripe-python retries)."""
    saved = SandboxRequest.objects.filter(key=key).first()
    if saved is not None:
        return _replay(saved, method, path, params, request_id)
    fail = StripeFail(
        409,
        "There is currently another in-progress request using this Stripe token "
        "(probably means you are sending multiple requests with the same key).",
        type_="idempotency_error",
        code="idempotency_key_in_use",
    )
    return _answer(409, fail.body(), request_id, key, Stripe_Should_Retry="true")
