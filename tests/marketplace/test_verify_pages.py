"""Provenance verification on the web: an upload of a signed video, of one with a byte
changed, of an unsigned image and of a text file; and a work checked by its id.

The signed work is rendered and signed once for the module: inside a transaction held
open for the module and rolled back at its end, each test running in its own savepoint
within it (they only read it)."""

import io
import re
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from PIL import Image

from tests.factories import CharacterFactory, UserFactory, grant_for
from tests.marketplace.helpers import field_errors, make_work, section

pytestmark = pytest.mark.django_db

VERIFY = reverse("marketplace:verify")


def _mp4_with_one_byte_flipped(data: bytes) -> bytes:
    """``data`` with one byte changed in the middle of its ``mdat`` box's payload."""
    offset = 0
    while offset < len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        header = 8
        if size == 1:
            size, header = int.from_bytes(data[offset + 8 : offset + 16], "big"), 16
        elif size == 0:
            size = len(data) - offset
        if kind == b"mdat":
            middle = offset + header + (size - header) // 2
            return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
        offset += size
    raise AssertionError("no mdat box in the file")


def _png_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "teal").save(buffer, "PNG")
    return SimpleUploadedFile("plain.png", buffer.getvalue(), content_type="image/png")


def _verify_result(html: str) -> str | None:
    found = re.search(r'data-state="(\w+)"', html)
    return found.group(1) if found else None


@pytest.fixture(scope="module")
def _signed(django_db_setup, django_db_blocker, provenance_keys, tmp_path_factory):
    media = tmp_path_factory.mktemp("verify-media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media,
            C2PA_CERT_CHAIN=str(provenance_keys.chain),
            C2PA_PRIVATE_KEY=str(provenance_keys.signer_key),
            C2PA_TRUST_ANCHORS=str(provenance_keys.root_cert),
        ),
        transaction.atomic(),
    ):
        hoshi = CharacterFactory(name="Hoshi-chan")
        kuro = CharacterFactory(name="Kuro Neko")
        creator = UserFactory()
        # Hoshi's terms reserve AI training (the default), Kuro's allow it.
        grant_for(hoshi, creator)
        grant_for(kuro, creator, ai_training="allowed")
        work = make_work(
            creator=creator, characters=[hoshi, kuro], prompt="Hoshi-chan and Kuro Neko verify"
        )
        kuro_only = make_work(creator=creator, characters=[kuro], prompt="Kuro Neko alone")
        yield SimpleNamespace(work=work, kuro_only=kuro_only, media=media)
        transaction.set_rollback(True)


@pytest.fixture
def signed_work(_signed, signing, settings):
    """The module's signed work; the checks read its files, with the session's keys."""
    settings.MEDIA_ROOT = _signed.media
    return _signed.work


def _training_uses(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-entry="([^"]+)" data-use="([^"]+)"', html))


def test_verify_shows_the_strictest_licences_training_reservation(client, signed_work):
    # given: one licence reserves AI training, the other allows it
    # when
    html = client.post(VERIFY, {"work": str(signed_work.pk)}).content.decode()

    # then: the manifest's CAWG assertion says not allowed, for every use it names
    assert _verify_result(html) == "Trusted"
    assert _training_uses(html) == {
        "cawg.ai_generative_training": "notAllowed",
        "cawg.ai_training": "notAllowed",
        "cawg.data_mining": "notAllowed",
    }
    assert "Training generative AI: not allowed" in section(
        html, "<h3>AI training and data mining</h3>", "</ul>"
    )


def test_verify_shows_training_allowed_when_every_licence_allows_it(
    client, _signed, signing, settings
):
    # given: a work whose only licence allows AI training
    settings.MEDIA_ROOT = _signed.media
    data = Path(_signed.kuro_only.video.path).read_bytes()

    # when
    html = client.post(
        VERIFY, {"file": SimpleUploadedFile("video.mp4", data, content_type="video/mp4")}
    ).content.decode()

    # then
    assert _verify_result(html) == "Trusted"
    assert set(_training_uses(html).values()) == {"allowed"}
    assert "Training generative AI: allowed" in html


def test_verify_upload_of_a_signed_video_is_trusted_and_names_the_licences(client, signed_work):
    # given
    data = Path(signed_work.video.path).read_bytes()

    # when
    html = client.post(
        VERIFY, {"file": SimpleUploadedFile("video.mp4", data, content_type="video/mp4")}
    ).content.decode()

    # then
    assert _verify_result(html) == "Trusted"
    licences = section(html, "<h3>Licences named</h3>", "</ul>")
    assert "Hoshi-chan" in licences and "Kuro Neko" in licences


def test_verify_upload_with_one_byte_of_media_changed_is_invalid(client, signed_work):
    # given
    tampered = _mp4_with_one_byte_flipped(Path(signed_work.video.path).read_bytes())

    # when
    html = client.post(
        VERIFY, {"file": SimpleUploadedFile("video.mp4", tampered, content_type="video/mp4")}
    ).content.decode()

    # then
    assert _verify_result(html) == "Invalid"


def test_verify_upload_of_an_unsigned_png_is_unsigned(client):
    # when
    html = client.post(VERIFY, {"file": _png_upload()}).content.decode()

    # then
    assert _verify_result(html) == "Unsigned"


def test_verify_refuses_a_text_file_next_to_the_file_field(client):
    # given
    text = SimpleUploadedFile("notes.mp4", b"just some words, not a video\n" * 4)

    # when
    html = client.post(VERIFY, {"file": text}).content.decode()

    # then
    assert field_errors(html, "file") == ["Upload an MP4, JPEG or PNG."]
    assert _verify_result(html) is None


def test_verify_by_work_id_shows_the_result(client, signed_work):
    # when
    html = client.post(VERIFY, {"work": str(signed_work.pk)}).content.decode()

    # then
    assert _verify_result(html) == "Trusted"
    assert "Kuro Neko" in section(html, "<h3>Licences named</h3>", "</ul>")


def test_verify_link_from_the_work_page_shows_the_result(client, signed_work):
    # given: the work page links to the check
    link = f"{VERIFY}?work={signed_work.pk}"
    assert link in client.get(signed_work.get_absolute_url()).content.decode()

    # when
    html = client.get(link).content.decode()

    # then
    assert _verify_result(html) == "Trusted"


def test_verify_unknown_work_id_shows_an_error_next_to_the_field(client):
    # when
    html = client.post(VERIFY, {"work": str(uuid.uuid4())}).content.decode()

    # then
    assert field_errors(html, "work") == ["No published work has that id."]
    assert _verify_result(html) is None
