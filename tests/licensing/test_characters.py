import io

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.errors import DomainError, NotPermitted
from licensing import services
from licensing.models import Character
from tests.factories import CharacterFactory, MembershipFactory, UserFactory, editor_of

pytestmark = pytest.mark.django_db


def _image(fmt="PNG", size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, fmt)
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas: a decompression bomb."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


def test_organization_manager_registers_a_character_with_aliases():
    membership = MembershipFactory(role="manager")

    character = services.character_create(
        by=membership.user,
        owner_organization=membership.organization,
        name="Hoshi-chan",
        aliases=["ほしちゃん", ("Hoshi", "exact_case"), "Hoshi-chan", " "],
    )

    assert character.kind == "character"
    assert sorted((a.text, a.mode) for a in character.aliases.all()) == [
        ("Hoshi", "exact_case"),
        ("ほしちゃん", "normal"),
    ]


def test_viewer_cannot_register_a_character():
    membership = MembershipFactory(role="viewer")

    with pytest.raises(NotPermitted):
        services.character_create(
            by=membership.user, owner_organization=membership.organization, name="X"
        )
    assert not Character.objects.exists()


def test_duplicate_name_for_the_same_owner_is_refused_with_the_field():
    membership = MembershipFactory()
    services.character_create(
        by=membership.user, owner_organization=membership.organization, name="Kuro"
    )

    with pytest.raises(DomainError) as error:
        services.character_create(
            by=membership.user, owner_organization=membership.organization, name="Kuro"
        )
    assert error.value.field == "name"


def test_likeness_belongs_to_its_verified_person_who_must_attest():
    person = UserFactory()
    unverified = UserFactory(verified=False)

    with pytest.raises(DomainError) as not_attested:
        services.character_create(by=person, kind="likeness", name="Aiko")
    with pytest.raises(DomainError, match="Verify your email"):
        services.character_create(
            by=unverified, kind="likeness", name="Ben", likeness_attested=True
        )
    likeness = services.character_create(
        by=person, kind="likeness", name="Aiko", likeness_attested=True
    )

    assert not_attested.value.field == "likeness_attested"
    assert likeness.owner_user == person and likeness.owner_organization is None
    assert likeness.likeness_attested_at is not None
    assert EmailAddress.objects.filter(user=unverified, verified=True).count() == 0


def test_only_the_person_can_manage_their_likeness():
    person, other = UserFactory(), UserFactory()
    likeness = services.character_create(
        by=person, kind="likeness", name="Aiko", likeness_attested=True
    )

    with pytest.raises(NotPermitted):
        services.character_update(character=likeness, by=other, description="hijacked")
    with pytest.raises(NotPermitted):
        services.offer_create_draft(character=likeness, by=other, terms={"credit_text": "x"})


def test_a_likeness_cannot_be_given_to_an_organization():
    membership = MembershipFactory()

    with pytest.raises(DomainError):
        services.character_create(
            by=membership.user,
            kind="likeness",
            name="Aiko",
            owner_organization=membership.organization,
            likeness_attested=True,
        )


def test_reference_image_is_stored_with_a_thumbnail():
    character = CharacterFactory()

    image = services.character_image_add(
        character=character,
        by=editor_of(character),
        file=SimpleUploadedFile("ref.png", _image(size=(800, 600))),
    )

    assert (image.width, image.height, image.content_type) == (800, 600, "image/png")
    with Image.open(image.thumbnail) as thumb:
        assert thumb.format == "JPEG"
        assert max(thumb.size) == 320


@pytest.mark.parametrize(
    "content,code",
    [
        (b"GIF89a not really", "not_an_image"),
        (b"%PDF-1.4 pretending", "not_an_image"),
        (_image("GIF"), "unsupported_type"),
        (_image(size=(4097, 10)), "too_big_dimensions"),
        (_png_claiming(60_000, 60_000), "not_an_image"),
        (_png_claiming(5_000, 5_000), "too_big_dimensions"),
    ],
)
def test_bad_reference_images_are_refused(content, code):
    character = CharacterFactory()

    with pytest.raises(DomainError) as error:
        services.character_image_add(
            character=character, by=editor_of(character), file=SimpleUploadedFile("x.png", content)
        )

    assert error.value.code == code
    assert error.value.field == "image"
    assert not character.images.exists()


def test_oversized_image_is_refused(settings):
    settings.CHARACTER_IMAGE_MAX_BYTES = 1_000
    character = CharacterFactory()

    with pytest.raises(DomainError) as error:
        services.character_image_add(
            character=character,
            by=editor_of(character),
            file=SimpleUploadedFile("big.jpg", _image("JPEG", (400, 400))),
        )
    assert error.value.code == "too_large"
