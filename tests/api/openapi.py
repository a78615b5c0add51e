"""Reading the project's OpenAPI document in tests: generate it, list its operations,
and validate a JSON value against one of its schemas.

drf-spectacular writes OpenAPI 3.0, whose schemas are almost JSON Schema: ``nullable``
is the difference, so it is rewritten as a ``null`` type before validating with
jsonschema. Object schemas with declared properties are closed (no additional
properties) so that an undocumented field in a response, or a misspelt one in an
example, fails."""

import copy
from functools import cache
from typing import Any

import jsonschema
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

METHODS = ("get", "post", "put", "patch", "delete")


@cache
def openapi() -> dict[str, Any]:
    """The schema /api/schema/ serves, validated against the OpenAPI 3.0 meta-schema."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(document)
    return document


def operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (path, method, operation)."""
    found = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                found[item[method]["operationId"]] = (path, method, item[method])
    return found


def _to_json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _to_json_schema(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


@cache
def _components() -> dict[str, Any]:
    return _to_json_schema(copy.deepcopy(openapi()["components"]))


def validate(value: Any, schema: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless ``value`` matches the OpenAPI ``schema``
    (``$ref`` into the document's components resolve)."""
    root = {**_to_json_schema(copy.deepcopy(schema)), "components": _components()}
    validator = jsonschema.Draft202012Validator(
        root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(value)


def body_schema(operation: dict[str, Any], media_type: str = "application/json"):
    body = operation.get("requestBody")
    return body["content"].get(media_type) if body else None


def response_content(operation: dict[str, Any], status: int) -> dict[str, Any] | None:
    """The documented content of one status (None: documented as having no body)."""
    responses = operation["responses"]
    assert str(status) in responses, f"{operation['operationId']} documents no {status}"
    return responses[str(status)].get("content")
