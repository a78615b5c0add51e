"""Hostile files at every upload: a character's reference image (when registering it,
and added later), an organization's verification document, and the provenance check.

The API takes no files (it reads JSON only), so these are the web forms. Each hostile
file is refused with a 400 (the form shown again, the reason next to the field) and
leaves nothing behind: no row, and no file under MEDIA_ROOT.

The files: a name of one type with the bytes of another (JPEG, ZIP or HTML called .png),
polyglots (a PNG with a ZIP appended, a GIF that is also JavaScript, a PDF that is also
an HTML page), a file one byte over the limit (sparse on disk), a decompression bomb (a
67-byte PNG declaring 30000 x 30000 pixels) and an SVG carrying a script."""

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter

from accounts.models import OrganizationDocument
from licensing.models import Character, CharacterImage
from tests.factories import CharacterFactory, MembershipFactory
from tests.pdfs import (
    pdf_opening_with,
    pdf_with_action_in_object_stream,
    pdf_with_attachment,
    plain_pdf,
)

pytestmark = pytest.mark.django_db


# --- the files ----------------------------------------------------------------------------


def _image(kind: str, size=(64, 48), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, kind, **save)
    return buffer.getvalue()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(document.cookie)</script>")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels: decoding it would need
    width * height * 3 bytes of memory."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def _gif_js() -> bytes:
    """A GIF whose bytes also parse as JavaScript (GIF89a/*...*/=alert(1))."""
    return _image("GIF") + b"*/=alert(document.domain);/*"


PDF_HTML = (
    b"%PDF-1.4\n1 0 obj<<>>endobj\n"
    b"<html><body><script>alert(document.cookie)</script></body></html>\n"
    b"trailer<<>>\n%%EOF\n"
)
SVG_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script></svg>"
)

HOSTILE = {
    "jpeg named png": ("hoshi.png", lambda: _image("JPEG")),
    "zip named png": ("hoshi.png", _zip),
    "html named png": ("hoshi.png", lambda: b"<html><script>alert(1)</script></html>"),
    "png with a zip appended": ("hoshi.png", lambda: _image("PNG") + _zip()),
    "gif that is javascript": ("hoshi.gif", _gif_js),
    "pdf that is html": ("evidence.pdf", lambda: PDF_HTML),
    "decompression bomb": ("hoshi.png", lambda: _png_declaring(30_000, 30_000)),
    "svg with a script": ("hoshi.svg", lambda: SVG_SCRIPT),
}


def _oversize(tmp_path: Path, limit: int) -> SimpleUploadedFile:
    """A PNG one byte over ``limit``: a real image, then a hole in a sparse file (the
    disk holds a few bytes whatever the limit; the client still sends them all)."""
    path = tmp_path / "big.png"
    with open(path, "wb") as file:
        file.write(_image("PNG"))
        file.truncate(limit + 1)
    return SimpleUploadedFile("big.png", path.read_bytes(), "image/png")


# --- what must not change -------------------------------------------------------------------


def _stored(settings) -> dict:
    root = Path(settings.MEDIA_ROOT)
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    return {
        "files": files,
        "characters": Character.objects.count(),
        "images": CharacterImage.objects.count(),
        "documents": OrganizationDocument.objects.count(),
    }


def _field_error(response, endpoint: str) -> str:
    form_name, field = FIELD[endpoint]
    errors = response.context[form_name].errors.get(field)
    assert errors, response.context[form_name].errors
    return errors[0]


@pytest.fixture
def studio(client, settings):
    membership = MembershipFactory(organization__verification_status="verified")
    character = CharacterFactory(owner_organization=membership.organization, name="Hoshi-chan")
    client.force_login(membership.user)
    # Each test starts with an image already stored, so "no new file" is not trivially
    # an empty folder.
    client.post(
        reverse("licensing:character_image_add", args=[character.pk]),
        {"image": SimpleUploadedFile("hoshi.png", _image("PNG"))},
    )
    assert character.images.count() == 1
    return membership.organization, character


def _post(client, endpoint: str, studio, upload):
    organization, character = studio
    if endpoint == "character_create":
        return client.post(
            reverse("licensing:character_create"),
            {"owner": f"org:{organization.slug}", "name": "Kuro Neko", "image": upload},
        )
    if endpoint == "character_image_add":
        return client.post(
            reverse("licensing:character_image_add", args=[character.pk]), {"image": upload}
        )
    if endpoint == "organization_document_add":
        return client.post(
            reverse("accounts:organization_document_add", args=[organization.slug]),
            {"title": "Trademark", "file": upload},
        )
    return client.post(reverse("marketplace:verify"), {"file": upload})


# The form each page shows again, and the field the reason is next to.
FIELD = {
    "character_create": ("form", "image"),
    "character_image_add": ("image_form", "image"),
    "organization_document_add": ("document_form", "file"),
    "verify": ("form", "file"),
}
ENDPOINTS = list(FIELD)


# --- the tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_hostile_file_is_refused_with_a_400_and_nothing_is_stored(
    client, settings, studio, endpoint, kind
):
    # given
    name, make = HOSTILE[kind]
    before = _stored(settings)

    # when
    response = _post(client, endpoint, studio, SimpleUploadedFile(name, make()))

    # then: the form again, the reason next to the file field, nothing kept
    assert response.status_code == 400, (kind, response.status_code)
    assert _field_error(response, endpoint)
    assert _stored(settings) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_file_one_byte_over_the_limit_is_refused_and_nothing_is_stored(
    client, settings, studio, endpoint, tmp_path
):
    # given: the real limits for stored uploads; a smaller one for the in-memory check
    settings.VERIFY_MAX_BYTES = 1024 * 1024
    limit = {
        "character_create": settings.CHARACTER_IMAGE_MAX_BYTES,
        "character_image_add": settings.CHARACTER_IMAGE_MAX_BYTES,
        "organization_document_add": settings.ORGANIZATION_DOCUMENT_MAX_BYTES,
        "verify": settings.VERIFY_MAX_BYTES,
    }[endpoint]
    upload = _oversize(tmp_path, limit)
    before = _stored(settings)

    # when
    response = _post(client, endpoint, studio, upload)

    # then
    assert response.status_code == 400
    assert "MB" in _field_error(response, endpoint)
    assert _stored(settings) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_clean_image_is_accepted_at_every_upload(client, settings, studio, endpoint):
    """The control: the same forms take an honest PNG (so the refusals above are about
    the files, not the forms)."""
    response = _post(client, endpoint, studio, SimpleUploadedFile("hoshi.png", _image("PNG")))

    assert response.status_code == (200 if endpoint == "verify" else 302)
    if endpoint == "verify":
        assert response.context["result"] is not None


def test_a_stored_image_is_re_encoded_keeping_the_pixels_and_nothing_else(client, studio):
    # given: a PNG carrying a script in a text chunk, and a JPEG with EXIF (GPS and all)
    _organization, character = studio
    png = _image("PNG")
    hidden = _chunk(b"tEXt", b"Comment\x00<script>alert(1)</script>")
    png_with_text = png[:33] + hidden + png[33:]  # after the IHDR chunk
    exif = Image.Exif()
    exif[0x010E] = "<script>alert(1)</script>"  # ImageDescription
    jpeg_with_exif = _image("JPEG", exif=exif.tobytes())

    # when: the stored name comes from the detected type (.jpeg is stored as .jpg)
    for name, content in (("scan.png", png_with_text), ("photo.jpeg", jpeg_with_exif)):
        response = client.post(
            reverse("licensing:character_image_add", args=[character.pk]),
            {"image": SimpleUploadedFile(name, content)},
        )
        assert response.status_code == 302, response.context["image_form"].errors

    # then
    png_stored, jpeg_stored = character.images.order_by("position")[1:]
    assert png_stored.image.name.endswith(".png")
    assert jpeg_stored.image.name.endswith(".jpg")
    for stored in (png_stored, jpeg_stored):
        data = stored.image.read()
        stored.image.seek(0)
        assert b"<script>" not in data
        with Image.open(stored.image) as image:
            assert image.size == (64, 48)
            assert not image.getexif()


def test_a_pdf_document_is_stored_under_our_name_not_the_uploaders(client, studio):
    # given
    organization, _character = studio
    pdf = plain_pdf()

    # when
    response = client.post(
        reverse("accounts:organization_document_add", args=[organization.slug]),
        {"title": "Trademark", "file": SimpleUploadedFile("trademark registration.bin", pdf)},
    )

    # then
    assert response.status_code == 302
    document = OrganizationDocument.objects.get()
    assert os.path.basename(document.file.name).startswith("document")
    assert document.file.name.endswith(".pdf")
    assert document.title == "Trademark"


# --- verification documents that could act when staff open them ----------------------------


def _encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(plain_pdf()))
    writer.encrypt(user_password="only-i-know", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


ACTIVE_PDFS = {
    "javascript": (
        lambda: pdf_opening_with(S="/JavaScript", JS="app.alert(1)"),
        "The PDF contains JavaScript",
    ),
    "launch": (lambda: pdf_opening_with(S="/Launch", F="calc.exe"), "a launch action"),
    "embedded file": (pdf_with_attachment, "The PDF contains embedded files"),
    "javascript in an object stream": (
        lambda: pdf_with_action_in_object_stream(b"/S /JavaScript /JS (app.alert 1)"),
        "The PDF contains JavaScript",
    ),
    "launch in an object stream": (
        lambda: pdf_with_action_in_object_stream(b"/S /Launch /F (calc.exe)"),
        "a launch action",
    ),
    "escaped name": (
        lambda: pdf_with_action_in_object_stream(b"/S /J#61vaScript /J#53 (app.alert 1)"),
        "The PDF contains JavaScript",
    ),
    "unreadable": (
        lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        "The PDF could not be read",
    ),
    "password": (_encrypted_pdf, "The PDF could not be read"),
}


@pytest.mark.parametrize("kind", list(ACTIVE_PDFS))
def test_a_verification_pdf_that_could_act_is_refused_and_nothing_is_stored(
    client, settings, studio, kind
):
    # given
    make, reason = ACTIVE_PDFS[kind]
    data = make()
    assert data.startswith(b"%PDF-")
    before = _stored(settings)

    # when
    response = _post(
        client, "organization_document_add", studio, SimpleUploadedFile("trademark.pdf", data)
    )

    # then
    assert response.status_code == 400
    assert reason in _field_error(response, "organization_document_add")
    assert _stored(settings) == before


def test_the_action_hidden_in_an_object_stream_is_not_in_the_bytes():
    # so only reading the objects (not a byte search) can refuse it
    data = pdf_with_action_in_object_stream(b"/S /JavaScript /JS (app.alert 1)")

    assert b"JavaScript" not in data and b"/JS" not in data


def test_a_pdf_with_a_web_link_is_accepted(client, settings, studio):
    data = pdf_with_action_in_object_stream(b"/S /URI /URI (https://example.com/)")

    response = _post(
        client, "organization_document_add", studio, SimpleUploadedFile("trademark.pdf", data)
    )

    assert response.status_code == 302
    assert OrganizationDocument.objects.count() == 1
