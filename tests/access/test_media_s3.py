"""Private media with object storage (MEDIA_STORAGE=s3, on moto's S3 server on loopback):
the media view makes the same check as on the filesystem, then redirects to a presigned
URL of the private bucket. A presigned URL is never issued to someone who may not see
the file: a blocked, pending, denied or deleted work's files are a 404 for the public."""

from __future__ import annotations

import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from core.media import PUBLIC, media_signed_url, media_url
from tests.access.test_media import ACTORS, MAY_SEE, STATES, _scene
from tests.media import fetch

pytestmark = pytest.mark.django_db


def _follow(location: str):
    """GET a presigned URL from the bucket: (status, body, headers, case-insensitive)."""
    with urllib.request.urlopen(location, timeout=10) as response:  # noqa: S310 (loopback)
        return response.status, response.read(), response.headers


@pytest.mark.parametrize("state", STATES)
def test_a_presigned_url_goes_only_to_those_who_may_see_the_work_in_that_state(
    state, object_storage
):
    # given: a work in ``state`` whose files are in the bucket
    scene = _scene(state)
    assert object_storage.object_keys(f"works/{scene.work.pk}/") == sorted(
        [scene.work.poster.name, scene.work.video.name]
    )

    for actor, user in scene.users.items():
        # when: the URL a page made for this actor is fetched
        response = fetch(Client(), media_url(file=scene.work.video, viewer=user))

        # then: those who may see it are sent to the bucket, on a short-lived URL that
        # serves the file; nobody else learns where it is
        if actor in MAY_SEE[state]:
            assert response.status_code == 302, (state, actor)
            location = response["Location"]
            assert location.startswith(f"{object_storage.endpoint}/{object_storage.name}/")
            assert parse_qs(urlsplit(location).query)["X-Amz-Expires"] == ["300"]
            assert response["Cache-Control"].startswith("private, max-age=")
            status, body, _ = _follow(location)
            assert (status, body) == (200, b"stands for a video")
        else:
            assert response.status_code == 404, (state, actor)
            assert not response.has_header("Location")


@pytest.mark.parametrize("state", STATES)
def test_a_public_url_is_presigned_only_for_a_published_work(state, object_storage):
    # given
    scene = _scene(state)

    # when
    response = fetch(Client(), media_signed_url(name=scene.work.video.name, viewer=PUBLIC))

    # then
    assert response.status_code == (302 if state == "published" else 404)


def test_the_download_button_is_presigned_as_an_attachment(object_storage):
    # given: a published work and the URL of its download button
    scene = _scene("published")
    url = media_url(file=scene.work.video, viewer=None) + "&download=1"

    # when
    response = fetch(Client(), url)

    # then: the bucket offers it as a file to save
    assert response.status_code == 302
    _, _, headers = _follow(response["Location"])
    assert headers["Content-Disposition"] == "attachment; filename*=UTF-8''video.mp4"
    assert headers["Content-Type"] == "video/mp4"


def test_an_expired_or_altered_signature_is_refused_before_any_presigning(object_storage):
    # given
    scene = _scene("published")
    url = media_url(file=scene.work.video, viewer=None)

    # when
    altered = fetch(Client(), url.replace("sig=", "sig=0"))

    # then
    assert altered.status_code == 403
    assert not altered.has_header("Location")


def test_the_csp_lets_pages_load_media_from_the_bucket(object_storage, settings):
    # given: the production settings' CSP built for this bucket
    from config.settings.base import content_security_policy
    from config.settings.storage import media_storage

    origins = media_storage(kind="s3", url_max_age=300).origins

    # when
    directives = content_security_policy(media_sources=origins)["DIRECTIVES"]

    # then: the endpoint's origin, and nothing wider
    assert origins == [object_storage.endpoint]
    assert object_storage.endpoint in directives["media-src"]
    assert object_storage.endpoint in directives["img-src"]
    assert object_storage.endpoint not in directives["script-src"]


@pytest.mark.parametrize("actor", ACTORS)
def test_the_filesystem_path_is_unchanged_the_view_streams_the_file(actor):
    # given: no object storage (the default): the file is served by the view itself
    scene = _scene("published")

    # when
    response = fetch(Client(), media_url(file=scene.work.video, viewer=scene.users[actor]))

    # then
    assert response.status_code == 200
    assert response.body == b"stands for a video"


def test_the_verify_page_reads_a_works_video_from_the_bucket(object_storage, client):
    # given: a published work whose (stand-in, unsigned) video is only in the bucket
    scene = _scene("published")

    # when: anyone checks its provenance by id
    response = client.post("/verify/", {"work": str(scene.work.pk)})

    # then: the file was read through the storage API (an S3 file has no local path)
    # and checked: the stand-in is no MP4, so no manifest validates
    assert response.status_code == 200
    assert 'data-state="Invalid"' in response.content.decode()
