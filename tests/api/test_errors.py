import pytest

pytestmark = pytest.mark.django_db


def test_a_bad_request_names_the_field_and_lists_every_error(api_client):
    response = api_client.post("/api/v1/auth/token/", {"email": "not-an-email"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert {key: body[key] for key in ("code", "detail", "field")} == {
        "code": "invalid",
        "detail": "Enter a valid email address.",
        "field": "email",
    }
    assert body["errors"] == [
        {"code": "invalid", "detail": "Enter a valid email address.", "field": "email"},
        {"code": "required", "detail": "This field is required.", "field": "password"},
    ]


def test_malformed_json_is_a_400_in_the_error_shape(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", data="{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert response.json()["field"] is None


def test_unknown_api_path_is_404(api_client, user):
    api_client.force_authenticate(user)

    response = api_client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found.", "field": None}


@pytest.mark.parametrize("path", ["/api/v1/characters/null/", "/api/v1/works/1/split/"])
def test_an_id_that_is_not_a_uuid_is_a_404_in_the_error_shape(api_client, user, path):
    # given: the routes take <uuid:pk>, so these paths match no route at all
    api_client.force_authenticate(user)

    # when
    response = api_client.get(path)

    # then: the API's JSON error, not the site's HTML 404 page
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_405_in_the_error_shape(api_client):
    response = api_client.get("/api/v1/auth/token/")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/auth/token/" in schema.content
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.slow  # manage.py spectacular in a subprocess: Django starts afresh
def test_openapi_schema_is_valid_and_generates_without_warnings():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            "/dev/null",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_the_api_reads_json_only_and_refuses_other_bodies_with_a_415(api_client, content_type):
    # when: form encodings cannot carry the nested bodies (aliases, terms) nor their types
    response = api_client.post(
        "/api/v1/auth/token/", data="email=a%40b.test&password=x", content_type=content_type
    )

    # then
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        ({"email": 5, "password": "x"}, "email", "Must be a string."),
        ({"email": "a@b.test", "password": ["x"]}, "password", "Must be a string."),
    ],
)
def test_a_body_value_of_the_wrong_json_type_is_a_400_naming_the_field(
    api_client, body, field, detail
):
    # when: DRF alone would read 5 as the text "5"
    response = api_client.post("/api/v1/auth/token/", body)

    # then
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": detail, "field": field}


def test_numbers_and_booleans_are_taken_only_as_numbers_and_booleans(api_client, user):
    # given
    api_client.force_authenticate(user)

    # when: "0" for a boolean, "5" for an integer, false for a UUID (DRF: UUID(int=0))
    screened = api_client.post(
        "/api/v1/screen/", {"prompt": "hello", "character_ids": [], "commercial": 0}
    )
    generated = api_client.post(
        "/api/v1/generations/", {"prompt": "hello", "character_ids": [], "duration_s": "5"}
    )

    listed = api_client.post("/api/v1/screen/", {"prompt": "hello", "character_ids": [False]})

    # then
    assert (listed.status_code, listed.json()["field"]) == (400, "character_ids")
    assert listed.json()["detail"] == "Each item: must be a string."
    assert (screened.status_code, screened.json()["field"]) == (400, "commercial")
    assert screened.json()["detail"] == "Must be a boolean."
    assert (generated.status_code, generated.json()["field"]) == (400, "duration_s")
    assert generated.json()["detail"] == "Must be an integer."
