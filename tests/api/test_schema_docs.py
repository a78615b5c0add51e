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


def test_every_operation_documents_its_error_answers_in_the_one_error_shape():
    # given
    document = openapi()
    error = {"$ref": "#/components/schemas/Error"}
    ops = operations(document)

    # when
    documented = {
        operation_id: {
            status
            for status, response in operation["responses"].items()
            if response.get("content", {}).get("application/json", {}).get("schema") == error
        }
        for operation_id, (_path, _method, operation) in ops.items()
    }

    # then: what each kind of operation can answer (config/schema.py)
    assert documented["v1_me_retrieve"] == {"401"}
    assert documented["v1_characters_retrieve"] == {"401", "404"}
    assert documented["v1_characters_list"] == {"400", "401", "404"}
    # rate-limited: 429, and 503 while the counters (Redis) are out of reach
    assert documented["v1_screen_create"] == {"400", "401", "403", "404", "415", "429", "503"}
    assert documented["v1_offers_accept_create"] == {"400", "401", "403", "404", "409", "415"}
    assert documented["v1_grants_checkout_create"] == {"401", "403", "404", "503"}
    # 403: the email address is not confirmed
    assert documented["v1_auth_token_create"] == {"400", "403", "415", "429", "503"}
    # the webhook reads its raw body and documents its own text/plain 400
    assert documented["v1_webhooks_stripe_create"] == set()
    assert "Retry-After" in ops["v1_screen_create"][2]["responses"]["429"]["headers"]
    assert "Retry-After" in ops["v1_screen_create"][2]["responses"]["503"]["headers"]
    assert "Retry-After" not in ops["v1_grants_checkout_create"][2]["responses"]["503"].get(
        "headers", {}
    )
    assert all(
        parameter["allowEmptyValue"]
        for _path, _method, operation in ops.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    )
