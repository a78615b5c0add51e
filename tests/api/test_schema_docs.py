"""The OpenAPI document is part of the product: it validates, every operation that takes
or returns a body shows an example of it, and every example matches its own schema."""

import pytest

from tests.api.openapi import body_schema, openapi, operations, validate


def _examples(media: dict) -> dict:
    return media.get("examples", {})


def test_schema_validates_against_the_openapi_meta_schema():
    # given / when: openapi() runs drf-spectacular's validate_schema, which raises
    document = openapi()

    # then
    assert document["openapi"].startswith("3.")
    assert len(operations(document)) >= 40


def test_every_request_and_response_body_has_an_example():
    missing = []
    for operation_id, (_path, _method, operation) in operations(openapi()).items():
        body = body_schema(operation)
        if body is not None and not _examples(body):
            missing.append(f"{operation_id} request")
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                continue
            for media_type, media in response.get("content", {}).items():
                if not _examples(media):
                    missing.append(f"{operation_id} {status} {media_type}")

    assert missing == []


@pytest.mark.parametrize("operation_id", sorted(operations(openapi())))
def test_every_example_matches_its_schema(operation_id):
    # given
    _path, _method, operation = operations(openapi())[operation_id]
    media = []
    body = body_schema(operation)
    if body is not None:
        media.append(("request", body))
    for status, response in operation["responses"].items():
        for media_type, content in response.get("content", {}).items():
            media.append((f"{status} {media_type}", content))

    # when / then
    for where, content in media:
        for name, example in _examples(content).items():
            try:
                validate(example["value"], content["schema"])
            except Exception as exc:
                raise AssertionError(f"{operation_id} {where} example {name!r}: {exc}") from exc
