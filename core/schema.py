"""The OpenAPI document's error answers.

Every operation documents the errors it can answer, in the one error shape
(config/api.py): ``{"code", "detail", "field"}``, plus ``errors`` when several fields
are invalid. Which statuses an operation can answer follows from what the view does,
so they are derived here rather than repeated on every view:

- 400: it reads a request body or query parameters (validation, ``invalid_filter``, a
  malformed body, a service's refusal);
- 401: it authenticates (a bad or unknown ``Authorization: Token ...`` is refused even
  where anonymous callers are welcome);
- 403: it authenticates and changes something (a caller without the right role; a
  session without its CSRF token), or its permissions go beyond "signed in" (a read
  that only signed-in callers get is a 401 for anyone else);
- 404: it names an object in its path or, signed in, in its body (missing, or not
  yours), or it is paginated (a page past the end), or it takes
  ``organization=<slug>`` (not one of yours);
- 415: it parses a request body (a content type it does not read);
  a view that reads its raw body itself (``reads_raw_body = True``, the Stripe webhook)
  documents its own 400 and never answers 415;
- 429: it is rate limited (``throttle_scope``), with ``Retry-After`` in seconds;
- 503: it is rate limited and the counters (Redis) are out of reach: limits fail
  closed with ``unavailable`` and ``Retry-After``.

Optional query parameters are marked ``allowEmptyValue``: the list filters
(config/api.py's ``query_*``, DRF's ``page``) read an empty value as an absent one, so
``?status=`` is the unfiltered list, as an HTML form with a blank field would send it.

A view documents any other status itself (a conflict's 409, Stripe being down's 503)
with ``extend_schema(responses={409: ErrorSerializer})``.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. `required`.")
    detail = serializers.CharField(help_text="What went wrong, for people.")
    field = serializers.CharField(
        allow_null=True,
        help_text="The field or query parameter at fault (dotted for nested fields), "
        "or null for the request as a whole.",
    )


class ErrorSerializer(ErrorItemSerializer):
    """The one error shape; when several fields are invalid, the first is at the top
    level and all are listed in ``errors``."""

    errors = ErrorItemSerializer(many=True, required=False)


class InsufficientFundsSerializer(ErrorSerializer):
    """402 ``insufficient_funds``: the error shape, with what is missing and where to
    top up."""

    shortfall = serializers.IntegerField(help_text="Minor units missing.")
    currency = serializers.CharField(help_text="ISO 4217 code of the shortfall.")
    top_up_url = serializers.URLField(help_text="The page where the wallet is topped up.")


_DESCRIPTIONS = {
    400: "The request is invalid: the field or parameter at fault is named in `field`.",
    401: "The credentials sent are invalid (or missing where they are required).",
    402: "The wallet cannot cover the fees this request owes: top up by `shortfall`.",
    403: "The caller may not do this.",
    404: "No such object, or not one the caller may see; or a page past the end.",
    409: "The request conflicts with the object's current state.",
    415: "The request body's content type is not one this operation reads.",
    429: "Too many requests: try again after `Retry-After` seconds.",
    503: "A provider this operation needs did not answer; try again.",
}
_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {"code": "required", "detail": "This field is required.", "field": "prompt"},
    401: {"code": "authentication_failed", "detail": "Invalid token.", "field": None},
    403: {
        "code": "permission_denied",
        "detail": "You do not have permission to perform this action.",
        "field": None,
    },
    404: {"code": "not_found", "detail": "Not found.", "field": None},
    409: {
        "code": "price_changed",
        "detail": "The licensor changed the price: the fee is now 30.00 USD.",
        "field": None,
    },
    415: {
        "code": "unsupported_media_type",
        "detail": 'Unsupported media type "text/plain" in request.',
        "field": None,
    },
    429: {
        "code": "throttled",
        "detail": "You have made 120 term checks in the last minute; try again in 12 seconds.",
        "field": None,
    },
    503: {
        "code": "payment_provider_unavailable",
        "detail": "Our payment provider did not answer, so we could not start the payment. "
        "Nothing was charged. Try again in a minute. (Reference: 3f9c0e1a2b)",
        "field": None,
    },
}
# The 503 every rate-limited operation can answer (a view's own 503 says why it has one).
_LIMITS_UNAVAILABLE = {
    "code": "unavailable",
    "detail": "The service that counts requests is not answering; try again shortly.",
    "field": None,
}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds until a request of this kind is accepted again.",
    }
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema, adding the error answers each operation can give."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        error_ref = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation["responses"]
        for status in self._error_statuses(operation):
            responses.setdefault(str(status), self._error_response(status, error_ref))
        for status, response in responses.items():
            content = response.get("content", {}).get("application/json", {})
            if content.get("schema") == error_ref:
                # A view's own 409 or 503: the description and example it would lack.
                response["description"] = response.get("description") or _DESCRIPTIONS.get(
                    int(status), ""
                )
                if int(status) in _EXAMPLES:
                    content.setdefault("examples", self._examples(int(status)))
            if status == "429" or (status == "503" and self._throttled()):
                response.setdefault("headers", RETRY_AFTER)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> set[int]:
        view = self.view
        parameters = operation.get("parameters", [])
        locations = {p["in"] for p in parameters}
        reads_body = "requestBody" in operation and not getattr(view, "reads_raw_body", False)
        authenticates = bool(view.get_authenticators())
        only_signed_in = all(type(p) in (AllowAny, IsAuthenticated) for p in view.get_permissions())

        statuses = set()
        if reads_body or "query" in locations:
            statuses.add(400)
        if authenticates:
            statuses.add(401)
            if self.method not in SAFE_METHODS or not only_signed_in:
                statuses.add(403)
        if (
            "path" in locations
            or (reads_body and authenticates)
            or (self._get_paginator() is not None and self._is_list_view())
            or any(p["name"] == "organization" and p["in"] == "query" for p in parameters)
        ):
            statuses.add(404)
        if reads_body:
            statuses.add(415)
        if self._throttled():
            statuses.update((429, 503))
        return statuses

    def _throttled(self) -> bool:
        return bool(getattr(self.view, "throttle_scope", None))

    def _error_response(self, status: int, error_ref: dict[str, str]) -> dict[str, Any]:
        if status == 503:  # only added for a rate limit whose counters are out of reach
            description = (
                "The rate-limit counters are out of reach; try again after `Retry-After` seconds."
            )
            examples = {"Unavailable": {"value": _LIMITS_UNAVAILABLE}}
        else:
            description, examples = _DESCRIPTIONS[status], self._examples(status)
        return {
            "description": description,
            "content": {"application/json": {"schema": error_ref, "examples": examples}},
        }

    @staticmethod
    def _examples(status: int) -> dict[str, Any]:
        example = _EXAMPLES[status]
        return {str(example["code"]).title().replace("_", ""): {"value": example}}
