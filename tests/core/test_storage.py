"""Media through the storage API (core/storage.py), on the local filesystem and on an
S3-protocol server (moto's server mode on loopback, driven by boto3 over HTTP): storing
under a fixed name, local copies for the libraries that want a path, deletion, and the
presigned URLs only an object store gives. Plus the rule that keeps it so: no app code
opens a stored file by its path."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import models

from core import storage

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "accounts", "licensing", "marketplace", "payments", "dashboard", "demo", "agents")


@pytest.fixture(params=["filesystem", "s3"])
def media_backend(request):
    """Each test runs on the local filesystem (MEDIA_ROOT) and on a bucket."""
    if request.param == "s3":
        return request.getfixturevalue("object_storage")
    return None


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_store_puts_a_file_under_exactly_its_name_and_a_rerun_replaces_it(media_backend, tmp_path):
    # given: a render stored once
    first = _write(tmp_path, "first.mp4", b"first render")
    assert storage.media_store(name="renders/r1/video.mp4", path=first) == "renders/r1/video.mp4"

    # when: the step runs again (a redelivered task) with new bytes
    second = _write(tmp_path, "second.mp4", b"second render")
    stored = storage.media_store(name="renders/r1/video.mp4", path=second)

    # then: the same name holds the new bytes, and nothing was stored beside it
    assert stored == "renders/r1/video.mp4"
    with default_storage.open(stored, "rb") as handle:
        assert handle.read() == b"second render"
    assert default_storage.listdir("renders/r1") == ([], ["video.mp4"])
    if media_backend is not None:
        assert media_backend.object_keys("renders/") == ["renders/r1/video.mp4"]
        assert media_backend.read("renders/r1/video.mp4") == b"second render"


def test_a_local_copy_holds_the_stored_bytes_and_is_gone_afterwards(media_backend, tmp_path):
    # given
    storage.media_store(name="works/w/poster.jpg", path=_write(tmp_path, "p.jpg", b"\xff\xd8jpeg"))

    # when
    with storage.media_local_copy(name="works/w/poster.jpg") as copy:
        seen = (copy.name, copy.read_bytes(), copy.is_file())

    # then: a real local file with the same name while it lasted, removed after
    assert seen == ("poster.jpg", b"\xff\xd8jpeg", True)
    assert not copy.exists()
    assert not copy.parent.exists()


def test_copying_a_file_the_storage_does_not_hold_raises_file_not_found(media_backend, tmp_path):
    with pytest.raises(FileNotFoundError):
        storage.media_copy_to(name="renders/none/video.mp4", dest=tmp_path / "x.mp4")


def test_delete_removes_stored_files_and_ignores_missing_ones(media_backend, tmp_path):
    # given
    storage.media_store(name="renders/r2/video.mp4", path=_write(tmp_path, "v", b"v"))

    # when
    storage.media_delete(names=["renders/r2/video.mp4", "renders/r2/never-was.jpg", ""])

    # then
    assert not default_storage.exists("renders/r2/video.mp4")


def test_the_workdir_is_removed_even_when_the_step_fails():
    with pytest.raises(RuntimeError), storage.media_workdir(prefix="t-") as folder:
        (folder / "partial.mp4").write_bytes(b"half")
        raise RuntimeError("killed")
    assert not folder.exists()


def test_the_filesystem_gives_no_presigned_url():
    assert not storage.media_is_object_storage()
    assert (
        storage.media_presigned_url(name="works/w/video.mp4", expires_s=60, content_type="x/y")
        is None
    )


def test_a_presigned_url_serves_the_object_until_it_expires_and_says_how_to_offer_it(
    object_storage, tmp_path
):
    # given: a stored file in the private bucket
    storage.media_store(name="works/w/video.mp4", path=_write(tmp_path, "v.mp4", b"mp4 bytes"))

    # when: URLs are presigned to play it and to download it
    play = storage.media_presigned_url(
        name="works/w/video.mp4", expires_s=120, content_type="video/mp4"
    )
    download = storage.media_presigned_url(
        name="works/w/video.mp4", expires_s=120, content_type="video/mp4", attachment=True
    )

    # then: the object store itself serves them, for 120 s, with the asked-for headers
    assert storage.media_is_object_storage()
    assert play.startswith(f"{object_storage.endpoint}/{object_storage.name}/works/w/video.mp4?")
    query = parse_qs(urlsplit(play).query)
    assert query["X-Amz-Expires"] == ["120"]
    with urllib.request.urlopen(play, timeout=10) as response:  # noqa: S310 (loopback)
        assert response.read() == b"mp4 bytes"
        assert response.headers["Content-Type"] == "video/mp4"
        assert "Content-Disposition" not in response.headers
    with urllib.request.urlopen(download, timeout=10) as response:  # noqa: S310
        assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''video.mp4"


def test_stored_objects_grant_nobody_but_the_owner(object_storage, tmp_path):
    # given
    storage.media_store(name="works/w/video.mp4", path=_write(tmp_path, "v.mp4", b"secret"))

    # when: the object's access list is read back from the store
    acl = object_storage.client.get_object_acl(Bucket=object_storage.name, Key="works/w/video.mp4")

    # then: no grant to everyone or to any authenticated AWS user: only presigned URLs
    # (made after the media view's check) read it
    grantees = [grant["Grantee"] for grant in acl["Grants"]]
    assert [g.get("URI") for g in grantees if g.get("Type") == "Group"] == []
    assert {grant["Permission"] for grant in acl["Grants"]} == {"FULL_CONTROL"}


# --- the rule: nothing opens media by path ------------------------------------------------


def _file_field_names() -> set[str]:
    return {
        field.name
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    }


def _app_sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_app_code_reaches_a_stored_file_through_the_local_disk():
    # given: every file field's name, and what reaching its file by path looks like
    fields = "|".join(sorted(_file_field_names()))
    assert {"video", "poster", "image", "thumbnail", "file"} <= set(fields.split("|"))
    forbidden = [
        (re.compile(rf"\.(?:{fields})\.path\b"), "a FieldFile's .path"),
        (re.compile(r"\bstorage\.path\("), "Storage.path()"),
        (re.compile(r"settings\.MEDIA_ROOT\b"), "MEDIA_ROOT (only settings may name it)"),
        (re.compile(r"\bFileSystemStorage\b"), "a filesystem storage of its own"),
    ]

    # when: the apps' code is read
    found = [
        f"{path.relative_to(ROOT)}:{number}: {why}: {line.strip()}"
        for path in _app_sources()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        for pattern, why in forbidden
        if pattern.search(line)
    ]

    # then: media is only ever reached through the storage API (core/storage.py)
    assert found == []


def test_the_rule_would_catch_a_path_coming_back():
    fields = "|".join(sorted(_file_field_names()))
    pattern = re.compile(rf"\.(?:{fields})\.path\b")
    assert pattern.search("data = Path(work.video.path)")
    assert pattern.search("paths = tuple(Path(img.image.path) for img in images)")
    assert not pattern.search("if request.path.startswith('/media/'):")
