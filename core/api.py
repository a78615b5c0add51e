"""API plumbing shared by every app: the one error shape.

Every error response is ``{"code", "detail", "field"}``; when a request has several
invalid fields, the first is at the top level and all of them are listed in
``errors`` with the same shape.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError, ErrorCode, NotPermitted
from core.media import media_url


def api_datetime(value: datetime | None) -> str | None:
    """A datetime as the API writes one (DRF's DateTimeField: ISO 8601 in UTC, the
    project's time zone, with ``Z``), for read models that store what they serve."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _flatten(detail: Any, field: str | None = None) -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        errors = []
        for key, value in detail.items():
            name = None if key == "non_field_errors" else str(key)
            nested = f"{field}.{name}" if field and name else name or field
            errors.extend(_flatten(value, nested))
        return errors
    if isinstance(detail, list):
        return [error for item in detail for error in _flatten(item, field)]
    code = getattr(detail, "code", None) or "invalid"
    return [{"code": str(code), "detail": str(detail), "field": field}]


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, NotPermitted):
        return Response(
            {"code": exc.code, "detail": exc.detail, "field": None},
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, DomainError):
        retry_after = getattr(exc, "retry_after", None)
        return Response(
            {"code": exc.code, "detail": exc.detail, "field": exc.field, **exc.extra()},
            status=exc.status_code,
            headers={"Retry-After": str(retry_after)} if retry_after else None,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if (
        not isinstance(exc, exceptions.ValidationError)
        and isinstance(data, dict)
        and "detail" in data
    ):
        detail = data["detail"]
        errors: list[dict[str, Any]] = [
            {"code": str(getattr(detail, "code", "error")), "detail": str(detail), "field": None}
        ]
    else:
        errors = _flatten(data) or [
            {"code": "invalid", "detail": "Invalid request.", "field": None}
        ]
    body: dict[str, Any] = dict(errors[0])
    if len(errors) > 1:
        body["errors"] = errors
    response.data = body
    return response


# --- request bodies ---------------------------------------------------------------------------
# DRF coerces: 0 becomes the text "0", "false" and 0 become False, "5" becomes 5. The schema
# promises types, and a client sending the wrong one has a bug it should hear about, so an
# input serializer takes each value only in the JSON type the schema documents.

_JSON_TYPES: list[tuple[type, tuple[type, ...], str]] = [
    (serializers.BooleanField, (bool,), "a boolean"),
    (serializers.IntegerField, (int,), "an integer"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.DecimalField, (int, float, str), "a number"),
    (serializers.JSONField, (object,), "any JSON value"),
    (serializers.DictField, (dict,), "an object"),
    (serializers.ListField, (list,), "a list"),
    (serializers.ListSerializer, (list,), "a list"),
    (serializers.MultipleChoiceField, (list,), "a list"),
    (serializers.BaseSerializer, (dict,), "an object"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.CharField, (str,), "a string"),
    (serializers.UUIDField, (str,), "a string"),
    (serializers.DateTimeField, (str,), "a string"),
    (serializers.DateField, (str,), "a string"),
]


def _json_type(field: serializers.Field) -> tuple[tuple[type, ...], str] | None:
    for kind, types, label in _JSON_TYPES:
        if isinstance(field, kind):
            return types, label
    return None


def _wrong_type(field: serializers.Field, value: Any) -> str | None:
    """What ``value`` should have been, when it is not the JSON type ``field`` reads (the
    items of a list field too: DRF reads ``false`` as the UUID 00000000-...)."""
    expected = _json_type(field)
    if value is None or expected is None:
        return None
    types, label = expected
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        return f"Must be {label}."
    child = getattr(field, "child", None)
    if isinstance(field, serializers.ListField) and child is not None and isinstance(value, list):
        for item in value:
            wrong = _wrong_type(child, item)
            if wrong:
                return f"Each item: {wrong[0].lower()}{wrong[1:]}"
    return None


class InputSerializer(serializers.Serializer):
    """A serializer for a JSON request body: each value must have the JSON type its field
    documents (no "0" for false, no 5 for "5"), else a 400 naming the field."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            for field in self._writable_fields:
                wrong = _wrong_type(field, data.get(field.field_name))
                if wrong:
                    errors[field.field_name] = [
                        exceptions.ErrorDetail(wrong, code=ErrorCode.INVALID)
                    ]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


# --- query parameters -----------------------------------------------------------------------
# List filters are parsed here so a bad value answers 400 in the error shape, naming the
# parameter, instead of being ignored (a silently unfiltered list) or reaching the database.

_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"0", "false", "no"})


def _invalid(name: str, detail: str) -> DomainError:
    return DomainError(detail, code=ErrorCode.INVALID_FILTER, field=name)


def query_bool(params, name: str) -> bool | None:
    """``1/true/yes`` or ``0/false/no``; absent or empty is None."""
    value = params.get(name, "").strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _invalid(name, f"'{name}' must be true or false.")


def query_choice(params, name: str, choices, default: str | None = None) -> str | None:
    """One of ``choices``; absent or empty is ``default``."""
    value = params.get(name, "").strip()
    if not value:
        return default
    allowed = [str(c) for c in choices]
    if value not in allowed:
        raise _invalid(name, f"'{name}' must be one of: {', '.join(allowed)}.")
    return value


def query_uuid(params, name: str) -> uuid.UUID | None:
    """A UUID; absent or empty is None."""
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _invalid(name, f"'{name}' must be a UUID.") from None


def query_currency(params, name: str = "currency") -> str | None:
    """An ISO 4217 code (three letters, any case); absent or empty is None."""
    value = params.get(name, "").strip().upper()
    if not value:
        return None
    if len(value) != 3 or not value.isascii() or not value.isalpha():
        raise _invalid(name, f"'{name}' must be a three-letter ISO 4217 code.")
    return value


# --- documentation ---------------------------------------------------------------------------


def example_response(name: str, value, *, status: int = 200, summary: str = "") -> OpenApiExample:
    """A response example for ``extend_schema(examples=...)``, tied to one status code."""
    return OpenApiExample(
        name, value=value, response_only=True, status_codes=[str(status)], summary=summary
    )


def example_request(name: str, value, *, summary: str = "") -> OpenApiExample:
    """A request body example for ``extend_schema(examples=...)``."""
    return OpenApiExample(name, value=value, request_only=True, summary=summary)


@extend_schema_field(OpenApiTypes.URI)
class MediaURLField(serializers.Field):
    """A stored file as its absolute signed URL for the requesting user (core/media.py):
    it works for ``MEDIA_URL_MAX_AGE`` seconds, and only while that user may see the
    file; fetch the object again for a fresh one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str | None:
        request = self.context.get("request")
        url = media_url(file=value, viewer=getattr(request, "user", None))
        if not url:
            return None
        return request.build_absolute_uri(url) if request is not None else url
