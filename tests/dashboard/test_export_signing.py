"""Signed compliance exports (dashboard/export_signing.py): every JSON and CSV export
carries a manifest signed with the platform's provenance key; ``audit_verify_export``
and ``/verify/export/`` accept it as made and refuse any edit, saying why. Bad periods
and other people's reports are clear 4xx."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from licensing import services
from marketplace.provenance.keys import create_dev_keys
from tests.builders import waiting_for_approval
from tests.factories import CharacterFactory, UserFactory, editor_of, proven_likeness

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("export_keys")]


@pytest.fixture
def studio_month():
    """A studio's character with a licence approved and a prompt screened today."""
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    grant = waiting_for_approval(hoshi, creator)
    services.grant_approve(grant=grant, by=editor_of(hoshi))
    services.policy_screen(creator=creator, prompt="Hoshi-chan sings", character_ids=[hoshi.pk])
    return hoshi


def _period():
    today = timezone.now().date()
    return str(today - timedelta(days=1)), str(today + timedelta(days=1))


def _export(tmp_path, organization, fmt="json"):
    start, end = _period()
    path = tmp_path / f"export.{fmt}"
    call_command(
        "export_compliance",
        "--org",
        organization.slug,
        "--from",
        start,
        "--to",
        end,
        "--format",
        fmt,
        "--output",
        str(path),
        stderr=StringIO(),
    )
    return path


def _verify(path) -> tuple[bool, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify_export", str(path), stdout=out, stderr=err)
    except CommandError:
        return False, err.getvalue()
    return True, out.getvalue()


def test_a_json_export_names_its_audit_head_and_verifies(studio_month, tmp_path):
    # given
    organization = studio_month.owner_organization
    path = _export(tmp_path, organization)

    # when
    document = json.loads(path.read_bytes())
    valid, said = _verify(path)

    # then: the manifest covers the stream's last event, counts the rows, and verifies
    last = AuditEvent.objects.filter(stream=f"org:{organization.pk}").order_by("-seq").first()
    manifest = document["manifest"]
    assert manifest["audit_head"] == {"stream": last.stream, "seq": last.seq, "hash": last.hash}
    assert manifest["row_counts"]["audit_events"] == last.seq
    assert manifest["row_counts"]["grants"] == len(document["report"]["grants"]) == 1
    actions = [e["action"] for e in document["report"]["audit_events"]]
    assert {"offer.published", "grant.pending_approval", "grant.active", "policy.allowed"} <= set(
        actions
    )
    assert valid and f"audit head seq {last.seq}" in said


def test_an_edited_json_export_fails_and_says_why(studio_month, tmp_path):
    # given
    path = _export(tmp_path, studio_month.owner_organization)
    document = json.loads(path.read_bytes())
    edited_body = json.loads(path.read_bytes())
    edited_body["report"]["grants"][0]["status"] = "revoked"
    edited_manifest = json.loads(path.read_bytes())
    edited_manifest["manifest"]["row_counts"]["grants"] = 0
    reindented = tmp_path / "reindented.json"
    reindented.write_text(json.dumps(document, indent=4, ensure_ascii=False))

    # when / then: a re-indented file is still the same data; edits are not
    assert _verify(reindented)[0]
    path.write_text(json.dumps(edited_body))
    valid, said = _verify(path)
    assert not valid and "the body does not match" in said
    path.write_text(json.dumps(edited_manifest))
    valid, said = _verify(path)
    assert not valid and "the manifest was edited" in said


def test_a_csv_export_verifies_and_an_edited_row_fails(studio_month, tmp_path):
    # given
    path = _export(tmp_path, studio_month.owner_organization, fmt="csv")
    text = path.read_text()

    # when / then
    assert text.splitlines()[0] == "record_type,field,value,record"
    assert _verify(path)[0]
    path.write_text(text.replace("grants,status,active", "grants,status,revoked", 1))
    valid, said = _verify(path)
    assert not valid and "the body does not match" in said


def test_an_export_signed_with_another_key_is_not_trusted(
    studio_month, tmp_path, settings, tmp_path_factory
):
    # given: someone signs an export with their own key and certificate
    foreign = create_dev_keys(directory=tmp_path_factory.mktemp("foreign"), organization="Other")
    trusted_chain, trusted_key = settings.C2PA_CERT_CHAIN, settings.C2PA_PRIVATE_KEY
    settings.C2PA_CERT_CHAIN, settings.C2PA_PRIVATE_KEY = (
        str(foreign.chain),
        str(foreign.signer_key),
    )
    path = _export(tmp_path, studio_month.owner_organization)
    settings.C2PA_CERT_CHAIN, settings.C2PA_PRIVATE_KEY = trusted_chain, trusted_key

    # when
    valid, said = _verify(path)

    # then
    assert not valid and "not issued by this platform's trust anchor" in said


def test_a_file_that_is_no_export_is_refused_by_the_command(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text('{"hello": "world"}')

    valid, said = _verify(path)

    assert not valid and "report, manifest and signature" in said
    with pytest.raises(CommandError, match="No such file"):
        call_command("audit_verify_export", str(tmp_path / "absent.json"))


def test_the_verify_export_page_says_valid_or_invalid_and_refuses_other_files(
    studio_month, tmp_path, client
):
    # given
    path = _export(tmp_path, studio_month.owner_organization)
    data = path.read_bytes()
    url = reverse("dashboard:verify_export")

    # when
    page = client.get(url)
    valid = client.post(url, {"file": SimpleUploadedFile("e.json", data)})
    edited = client.post(
        url, {"file": SimpleUploadedFile("e.json", data.replace(b'"active"', b'"ended"', 1))}
    )
    png = client.post(url, {"file": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * 50)})

    # then
    assert page.status_code == 200
    assert valid.status_code == 200 and 'data-state="valid"' in valid.content.decode()
    assert edited.status_code == 200 and 'data-state="invalid"' in edited.content.decode()
    assert "the body does not match" in edited.content.decode()
    assert png.status_code == 400 and "Upload a JSON or CSV" in png.content.decode()


def test_the_verify_export_page_refuses_a_file_over_its_limit(client, monkeypatch):
    monkeypatch.setattr("dashboard.web.verify_export.MAX_BYTES", 10)

    response = client.post(
        reverse("dashboard:verify_export"), {"file": SimpleUploadedFile("e.json", b"{" * 20)}
    )

    assert response.status_code == 400 and "larger than" in response.content.decode()


def test_the_download_streams_a_signed_export(studio_month, client):
    client.force_login(editor_of(studio_month))
    url = reverse("dashboard:compliance_download", args=[studio_month.owner_organization.slug])

    response = client.get(url, {"format": "csv"})

    assert isinstance(response, StreamingHttpResponse) and response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.splitlines()[-2].startswith(b"# cocreate-manifest ")


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("2026-12-01", "2026-11-01", "must be after"),
        ("0001-01-01", "9999-12-31", "at most ten years"),
        ("2026-02-30", "2026-03-01", "must be a date"),
        ("yesterday", "2026-03-01", "must be a date"),
    ],
)
def test_bad_periods_are_a_clear_400(studio_month, client, start, end, reason):
    client.force_login(editor_of(studio_month))
    url = reverse("dashboard:compliance_download", args=[studio_month.owner_organization.slug])

    response = client.get(url, {"from": start, "to": end})

    assert response.status_code == 400 and reason in response.content.decode()


def test_bad_periods_and_unknown_rightsholders_are_refused_by_the_command(studio_month):
    slug = studio_month.owner_organization.slug
    with pytest.raises(CommandError, match="at most ten years"):
        call_command(
            "export_compliance", "--org", slug, "--from", "0001-01-01", "--to", "9999-12-31"
        )
    with pytest.raises(CommandError, match="No organization"):
        call_command(
            "export_compliance", "--org", "nobody", "--from", "2026-11-01", "--to", "2026-12-01"
        )
    with pytest.raises(CommandError, match="No person"):
        call_command(
            "export_compliance",
            "--person",
            "no@example.com",
            "--from",
            "2026-11-01",
            "--to",
            "2026-12-01",
        )


def test_a_person_downloads_their_likeness_report_and_nobody_elses(client, tmp_path):
    # given: a person's likeness with a refused prompt naming it
    person = UserFactory()
    likeness = proven_likeness(person, "Aiko Tanaka")
    services.policy_screen(creator=UserFactory(), prompt="Aiko Tanaka dances", character_ids=[])
    url = reverse("dashboard:person_compliance_download", args=[person.pk])

    # when
    client.force_login(person)
    own = client.get(url)
    client.force_login(UserFactory())
    other = client.get(url)

    # then
    assert own.status_code == 200
    report = json.loads(b"".join(own.streaming_content))["report"]
    assert report["person"]["id"] == str(person.pk)
    assert [c["id"] for c in report["characters"]] == [str(likeness.pk)]
    assert [d["allowed"] for d in report["policy_decisions"]] == [False]
    assert [e["action"] for e in report["audit_events"]] == ["policy.refused"]
    assert report["claims"] == []
    assert other.status_code == 404
