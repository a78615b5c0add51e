import io
import json
import os
import struct
from io import StringIO
from pathlib import Path

import av
import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.management import call_command
from PIL import Image

from marketplace.provenance.keys import create_dev_keys
from marketplace.provenance.sign import (
    TRAINED_ALGORITHMIC_MEDIA,
    LicenseClaim,
    ParentIngredient,
    ProvenanceError,
    ProvenanceInfo,
    sign_media,
)
from marketplace.provenance.verify import verify_media

FRAMES = 24


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return create_dev_keys(directory=tmp_path_factory.mktemp("provenance"))


@pytest.fixture(scope="module")
def foreign_keys(tmp_path_factory):
    """A second, unrelated root: what someone else's signature looks like."""
    return create_dev_keys(directory=tmp_path_factory.mktemp("elsewhere"), organization="Other")


@pytest.fixture(autouse=True)
def _provenance_settings(settings, keys):
    settings.C2PA_CERT_CHAIN = str(keys.chain)
    settings.C2PA_PRIVATE_KEY = str(keys.signer_key)
    settings.C2PA_TRUST_ANCHORS = str(keys.root_cert)
    settings.C2PA_TSA_URL = None
    settings.PROVENANCE_ISSUER = "Cocreate"


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("media") / "render.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        for i in range(FRAMES):
            frame = av.VideoFrame.from_image(Image.new("RGB", (64, 64), (i * 10, 80, 160)))
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


@pytest.fixture(scope="module")
def poster(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("media") / "poster.jpg"
    Image.new("RGB", (64, 64), (200, 40, 90)).save(path, quality=85)
    return path


def hoshi_license(grant_id: str = "grant-1") -> LicenseClaim:
    return LicenseClaim(
        character_id="char-hoshi",
        character_name="Hoshi-chan",
        offer_id="offer-1",
        offer_version=3,
        terms_hash="sha256:" + "ab" * 32,
        grant_id=grant_id,
        rightsholder="Hoshi Studio",
    )


def kuro_license() -> LicenseClaim:
    return LicenseClaim(
        character_id="char-kuro",
        character_name="Kuro Neko",
        offer_id="offer-2",
        offer_version=1,
        terms_hash="sha256:" + "cd" * 32,
        grant_id="grant-2",
        rightsholder="Hoshi Studio",
    )


def work_info(work_id="work-1", *, parent=None, licenses=None) -> ProvenanceInfo:
    return ProvenanceInfo(
        work_id=work_id,
        title=f"Work {work_id}",
        creator="Mika",
        generator="cocreate-local-renderer/1",
        licenses=licenses or (hoshi_license(), kuro_license()),
        parent=parent,
    )


def top_level_boxes(data: bytes) -> dict[str, tuple[int, int, int]]:
    """ISO BMFF top-level boxes: type -> (offset, size, header size)."""
    boxes, offset = {}, 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[offset + 8 : offset + 16])[0], 16
        elif size == 0:
            size = len(data) - offset
        boxes.setdefault(kind.decode("latin-1"), (offset, size, header))
        offset += size
    return boxes


def test_new_work_is_signed_and_verifies_as_trusted_with_its_licenses(video, tmp_path):
    # given
    original = video.read_bytes()
    dest = tmp_path / "signed.mp4"

    # when
    manifest = sign_media(source=video, dest=dest, mime="video/mp4", info=work_info())
    result = verify_media(data=dest, mime="video/mp4")

    # then
    assert video.read_bytes() == original
    assert result.state == "Trusted", result.errors
    assert result.errors == []
    assert result.title == "Work work-1"
    assert result.work_id == "work-1"
    assert result.actions == ["c2pa.created"]
    assert result.issuer == "Cocreate"
    assert [lic["character_name"] for lic in result.licenses] == ["Hoshi-chan", "Kuro Neko"]
    assert [lic["grant_id"] for lic in result.licenses] == ["grant-1", "grant-2"]
    assert result.licenses[0]["terms_hash"] == "sha256:" + "ab" * 32
    assert result.licenses[0]["offer_version"] == 3
    assert result.licenses[0]["rightsholder"] == "Hoshi Studio"
    assert result.ingredients == []

    actions = manifest["assertions"][0]
    assert actions["label"] == "c2pa.actions.v2"
    assert actions["data"]["actions"][0]["action"] == "c2pa.created"
    assert actions["data"]["actions"][0]["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert manifest["claim_generator_info"][0]["name"] == "Cocreate"
    assert manifest["assertions"][1]["label"] == "com.cocreate.licenses"


def test_verify_reads_bytes_and_file_objects_alike(video, tmp_path):
    dest = tmp_path / "signed.mp4"
    sign_media(source=video, dest=dest, mime="video/mp4", info=work_info())
    data = dest.read_bytes()

    assert verify_media(data=data, mime="video/mp4").state == "Trusted"
    with dest.open("rb") as handle:
        assert verify_media(data=handle, mime="video/mp4").state == "Trusted"
    assert verify_media(data=io.BytesIO(data), mime="video/mp4; codecs=avc1").state == "Trusted"


def test_remix_opens_its_parent_as_a_signed_ingredient(video, tmp_path):
    # given
    parent_path = tmp_path / "parent.mp4"
    sign_media(source=video, dest=parent_path, mime="video/mp4", info=work_info("work-1"))
    parent = ParentIngredient(work_id="work-1", title="Work work-1", video_file=parent_path)
    dest = tmp_path / "remix.mp4"

    # when
    manifest = sign_media(
        source=video,
        dest=dest,
        mime="video/mp4",
        info=work_info("work-2", parent=parent, licenses=(hoshi_license("grant-9"),)),
    )
    result = verify_media(data=dest, mime="video/mp4")

    # then
    assert result.state == "Trusted", result.errors
    assert result.actions == ["c2pa.opened"]
    assert result.work_id == "work-2"
    assert result.parent_work_id == "work-1"
    assert result.ingredients == [
        {"title": "Work work-1", "format": "video/mp4", "relationship": "parentOf"}
    ]
    assert [lic["grant_id"] for lic in result.licenses] == ["grant-9"]
    action = manifest["assertions"][0]["data"]["actions"][0]
    assert action["action"] == "c2pa.opened"
    assert action["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert manifest["ingredients"][0]["relationship"] == "parentOf"


def test_jpeg_poster_is_signed_and_trusted(poster, tmp_path):
    dest = tmp_path / "poster.jpg"

    sign_media(source=poster, dest=dest, mime="image/jpeg", info=work_info())
    result = verify_media(data=dest.read_bytes(), mime="image/jpeg")

    assert result.state == "Trusted", result.errors
    assert result.actions == ["c2pa.created"]
    assert Image.open(dest).size == (64, 64)


def test_one_flipped_byte_in_the_video_data_makes_it_invalid(video, tmp_path):
    # given
    dest = tmp_path / "signed.mp4"
    sign_media(source=video, dest=dest, mime="video/mp4", info=work_info())
    data = bytearray(dest.read_bytes())
    offset, size, header = top_level_boxes(bytes(data))["mdat"]

    # when
    data[offset + header + (size - header) // 2] ^= 0x01
    result = verify_media(data=bytes(data), mime="video/mp4")

    # then
    assert result.state == "Invalid"
    assert any("mismatch" in error for error in result.errors), result.errors
    assert result.work_id == "work-1"  # the claim is still readable, just not believable


def test_a_file_signed_under_another_root_is_valid_but_not_trusted(
    video, tmp_path, settings, foreign_keys
):
    # given
    settings.C2PA_CERT_CHAIN = str(foreign_keys.chain)
    settings.C2PA_PRIVATE_KEY = str(foreign_keys.signer_key)
    dest = tmp_path / "foreign.mp4"
    sign_media(source=video, dest=dest, mime="video/mp4", info=work_info())

    # when
    settings.C2PA_TRUST_ANCHORS = str(foreign_keys.root_cert.parent / "missing.pem")
    without_anchors = verify_media(data=dest, mime="video/mp4")
    settings.C2PA_TRUST_ANCHORS = str(
        create_dev_keys(directory=tmp_path / "ours").root_cert
    )  # our root, not theirs
    under_our_anchors = verify_media(data=dest, mime="video/mp4")

    # then
    for result in (without_anchors, under_our_anchors):
        assert result.state == "Valid"
        assert any("signingCredential.untrusted" in error for error in result.errors)
        assert result.issuer == "Other"


def test_our_own_signature_is_only_valid_when_the_anchors_are_missing(video, tmp_path, settings):
    dest = tmp_path / "signed.mp4"
    sign_media(source=video, dest=dest, mime="video/mp4", info=work_info())

    settings.C2PA_TRUST_ANCHORS = str(tmp_path / "nowhere.pem")
    assert verify_media(data=dest, mime="video/mp4").state == "Valid"
    (tmp_path / "garbage.pem").write_text("-----BEGIN CERTIFICATE-----\nnope\n")
    settings.C2PA_TRUST_ANCHORS = str(tmp_path / "garbage.pem")
    assert verify_media(data=dest, mime="video/mp4").state == "Valid"


@pytest.mark.parametrize("kind", ["mp4", "jpeg", "png"])
def test_an_unsigned_file_is_unsigned(kind, video, poster, tmp_path):
    if kind == "png":
        path = tmp_path / "plain.png"
        Image.new("RGB", (8, 8)).save(path)
    else:
        path = video if kind == "mp4" else poster

    result = verify_media(data=path, mime=f"{'video' if kind == 'mp4' else 'image'}/{kind}")

    assert result.state == "Unsigned"
    assert result.licenses == []


@pytest.mark.parametrize("mime", ["video/mp4", "image/jpeg", "image/png", "application/pdf"])
def test_random_bytes_are_reported_not_raised(mime):
    result = verify_media(data=os.urandom(2048), mime=mime)

    assert result.state in ("Invalid", "Unsigned")
    if result.state == "Invalid":
        assert result.errors


def test_signing_without_keys_says_how_to_make_them(video, tmp_path, settings):
    settings.C2PA_CERT_CHAIN = str(tmp_path / "absent" / "chain.pem")
    dest = tmp_path / "signed.mp4"

    with pytest.raises(ProvenanceError, match="provenance_keys"):
        sign_media(source=video, dest=dest, mime="video/mp4", info=work_info())
    assert not dest.exists()


def test_a_key_that_does_not_match_the_certificate_fails_cleanly(
    video, tmp_path, settings, foreign_keys
):
    settings.C2PA_PRIVATE_KEY = str(foreign_keys.signer_key)
    dest = tmp_path / "signed.mp4"

    with pytest.raises(ProvenanceError, match="C2PA signing failed"):
        sign_media(source=video, dest=dest, mime="video/mp4", info=work_info())
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_signer_certificate_meets_the_c2pa_profile_and_chains_to_the_root(keys):
    chain = x509.load_pem_x509_certificates(keys.chain.read_bytes())
    signer, root = x509.load_pem_x509_certificate(keys.signer_cert.read_bytes()), chain[-1]

    assert chain[0] == signer
    assert root == x509.load_pem_x509_certificate(keys.root_cert.read_bytes())
    signer.verify_directly_issued_by(root)
    root.verify_directly_issued_by(root)

    eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    assert ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in eku
    usage = signer.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert not signer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert signer.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert isinstance(signer.public_key(), ec.EllipticCurvePublicKey)
    assert signer.public_key().curve.name == "secp256r1"
    assert signer.version == x509.Version.v3

    root_constraints = root.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert root_constraints.ca
    assert root.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert oct(keys.signer_key.stat().st_mode & 0o777) == "0o600"


def test_provenance_keys_command_creates_keys_once(tmp_path, settings):
    # given
    directory = tmp_path / "var" / "provenance"
    settings.C2PA_CERT_CHAIN = str(directory / "chain.pem")
    settings.C2PA_PRIVATE_KEY = str(directory / "signer.key")
    settings.C2PA_TRUST_ANCHORS = str(directory / "root.pem")

    # when
    first = StringIO()
    call_command("provenance_keys", stdout=first)
    root = (directory / "root.pem").read_bytes()
    second = StringIO()
    call_command("provenance_keys", stdout=second)

    # then
    assert {p.name for p in directory.iterdir()} == {
        "chain.pem",
        "signer.key",
        "signer.pem",
        "root.pem",
        "root.key",
    }
    assert str(directory / "chain.pem") in first.getvalue()
    assert "already exist" in second.getvalue()
    assert (directory / "root.pem").read_bytes() == root

    call_command("provenance_keys", "--force", stdout=StringIO())
    assert (directory / "root.pem").read_bytes() != root


def test_signed_mp4_still_plays_every_frame(video, tmp_path):
    dest = tmp_path / "signed.mp4"
    sign_media(source=video, dest=dest, mime="video/mp4", info=work_info())

    with av.open(str(dest)) as container:
        frames = sum(1 for _ in container.decode(video=0))

    assert frames == FRAMES


def _c2pa_assertions(path: Path) -> dict:
    """The active manifest's assertions, by label, read with c2pa-python itself."""
    with path.open("rb") as stream, c2pa.Reader("video/mp4", stream) as reader:
        store = json.loads(reader.json())
    manifest = store["manifests"][store["active_manifest"]]
    return {a["label"]: a.get("data") for a in manifest["assertions"]}


@pytest.mark.parametrize("use", ["notAllowed", "allowed", "constrained"])
def test_training_mining_assertion_is_signed_and_read_back(use, video, tmp_path):
    # given
    dest = tmp_path / "signed.mp4"
    info = ProvenanceInfo(**{**work_info().__dict__, "training_use": use})

    # when
    sign_media(source=video, dest=dest, mime="video/mp4", info=info)

    # then: c2pa-python reads the CAWG assertion as signed, and so does verify_media
    assertions = _c2pa_assertions(dest)
    assert assertions["cawg.training-mining"] == {
        "entries": {
            "cawg.ai_generative_training": {"use": use},
            "cawg.ai_training": {"use": use},
            "cawg.data_mining": {"use": use},
        }
    }
    result = verify_media(data=dest, mime="video/mp4")
    assert result.state == "Trusted", result.errors
    assert result.training_mining == {
        "cawg.ai_generative_training": use,
        "cawg.ai_training": use,
        "cawg.data_mining": use,
    }


def test_without_a_training_use_the_manifest_states_none(video, tmp_path):
    # given: no training use (a work made under no licence: nobody's terms)
    dest = tmp_path / "signed.mp4"

    # when
    sign_media(source=video, dest=dest, mime="video/mp4", info=work_info())

    # then
    assert "cawg.training-mining" not in _c2pa_assertions(dest)
    assert verify_media(data=dest, mime="video/mp4").training_mining == {}
