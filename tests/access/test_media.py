"""Private media (core/media.py, core/web/media.py): who may load a stored file, on the
signed URL a page would give them, for every state a work can be in; and what the
media view refuses (expired, tampered, raw and unknown paths, a work blocked after its
URL was issued). The URLs are bearer links, so they are fetched without a session."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts import services as accounts_services
from core.media import PUBLIC, media_signature_check, media_signed_url, media_url
from licensing import services as licensing_services
from marketplace import services as marketplace_services
from marketplace.models import Work
from tests.access.world import png_bytes
from tests.builders import claim_filed, pending_approval_work, verified_studio
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for
from tests.marketplace.helpers import store_files
from tests.media import fetch
from tests.pdfs import plain_pdf

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "other_user", "creator", "rightsholder", "rightsholder_viewer", "staff")
STATES = ("published", "pending_approval", "denied", "blocked", "withdrawn")

# Who loads a work's video and poster, by the work's state.
MAY_SEE = {
    "published": set(ACTORS),
    "pending_approval": {"creator", "rightsholder", "staff"},
    "denied": {"creator", "rightsholder", "staff"},
    "blocked": {"creator", "staff"},
    "withdrawn": {"creator", "staff"},
}


@dataclass
class Scene:
    users: dict[str, object]
    work: Work
    character: object


def _scene(state: str) -> Scene:
    """A studio's character, a creator's work showing it, in ``state``, with real files."""
    studio, (owner, viewer) = verified_studio(roles=("owner", "viewer"))
    character = CharacterFactory(owner_organization=studio)
    creator = UserFactory()
    grant = grant_for(character, creator, approval="per_work")
    if state in ("pending_approval", "denied"):
        work = pending_approval_work(
            creator=creator, grant=grant, character=character, title="Awaiting the studio"
        )
    else:
        work = WorkFactory(creator=creator, grants=[grant], title="A video")
    store_files(work)
    if state == "denied":
        approval = work.approvals.get()
        marketplace_services.work_approval_decide(approval=approval, by=owner, approve=False)
    elif state == "blocked":
        claim_filed(work, character, owner, policy="block")
    elif state == "withdrawn":
        marketplace_services.work_delete(work=work, by=creator)
    work.refresh_from_db()
    users = {
        "anonymous": None,
        "other_user": UserFactory(),
        "creator": creator,
        "rightsholder": owner,
        "rightsholder_viewer": viewer,
        "staff": UserFactory(is_staff=True),
    }
    return Scene(users=users, work=work, character=character)


@pytest.mark.parametrize("state", STATES)
def test_a_works_files_load_only_for_those_who_may_see_it_in_that_state(state):
    # given
    scene = _scene(state)
    assert (
        scene.work.status
        == {
            "published": "published",
            "pending_approval": "pending_approval",
            "denied": "denied",
            "blocked": "delisted",
            "withdrawn": "deleted",
        }[state]
    )

    for actor, user in scene.users.items():
        for file in (scene.work.video, scene.work.poster):
            # when: the URL a page made for this actor is fetched
            url = media_url(file=file, viewer=user)
            response = fetch(Client(), url)

            # then
            if actor in MAY_SEE[state]:
                assert response.status_code == 200, (state, actor, file.name)
                assert response.body == default_storage.open(file.name).read()
            else:
                assert response.status_code == 404, (state, actor, file.name)


@pytest.mark.parametrize("state", STATES)
def test_a_public_url_serves_only_a_published_work(state):
    # given: a URL signed "public", as a page shows a published work to anyone
    scene = _scene(state)
    url = media_signed_url(name=scene.work.video.name, viewer=PUBLIC)

    # when
    response = fetch(Client(), url)

    # then
    assert response.status_code == (200 if state == "published" else 404)


def test_the_likeness_owner_sees_a_video_awaiting_their_approval():
    # given
    person = UserFactory()
    likeness = CharacterFactory(kind="likeness", owner_organization=None, owner_user=person)
    creator = UserFactory()
    grant = grant_for(likeness, creator, approval="per_work")
    work = store_files(
        pending_approval_work(creator=creator, grant=grant, character=likeness, title="Me")
    )

    # when
    mine = fetch(Client(), media_url(file=work.video, viewer=person))
    stranger = fetch(Client(), media_url(file=work.video, viewer=UserFactory()))

    # then
    assert mine.status_code == 200
    assert stranger.status_code == 404


def test_a_url_issued_before_the_work_was_blocked_stops_working():
    # given: a published work's public URL, which loads
    scene = _scene("published")
    url = media_url(file=scene.work.video, viewer=None)
    creator_url = media_url(file=scene.work.video, viewer=scene.users["creator"])
    assert fetch(Client(), url).status_code == 200

    # when: the studio blocks it with a claim
    claim_filed(scene.work, scene.character, scene.users["rightsholder"], policy="block")

    # then: the same URL is refused; its creator's page gets one that still plays
    assert fetch(Client(), url).status_code == 404
    assert fetch(Client(), creator_url).status_code == 404  # issued as "public"
    fresh = media_url(file=scene.work.video, viewer=scene.users["creator"])
    assert fetch(Client(), fresh).status_code == 200


def test_an_expired_url_is_refused(settings):
    # given
    settings.MEDIA_URL_MAX_AGE = 300
    scene = _scene("published")
    with time_machine.travel("2026-06-01 12:00:00+00:00", tick=False) as traveller:
        url = media_url(file=scene.work.video, viewer=None)
        traveller.shift(240)  # the URL's timestamp is rounded down to a minute at most
        assert fetch(Client(), url).status_code == 200

        # when
        traveller.shift(61)
        response = fetch(Client(), url)

    # then
    assert response.status_code == 403


def test_a_signed_url_is_remembered_within_its_step_only(settings):
    # given: a file's public URL, signed once in a step of a minute
    settings.MEDIA_URL_MAX_AGE = 300
    name = "works/00000000-0000-4000-8000-000000000001/video.mp4"
    with time_machine.travel("2026-06-01 12:00:10+00:00", tick=False) as traveller:
        first = media_signed_url(name=name, viewer=PUBLIC)

        # when: signed again in the step, by another secret, and in the next step
        again = media_signed_url(name=name, viewer=PUBLIC)
        settings.SECRET_KEY = "another-secret-" * 4
        other_key = media_signed_url(name=name, viewer=PUBLIC)
        traveller.shift(60)
        next_step = media_signed_url(name=name, viewer=PUBLIC)

        # then: the same URL within the step; each other one is signed afresh and checks
        assert again == first
        assert len({first, other_key, next_step}) == 3
        for url in (other_key, next_step):
            signature = url.split("sig=")[1].replace("%3A", ":")
            media_signature_check(name=name, viewer=PUBLIC, signature=signature)


def test_a_tampered_url_is_refused():
    # given: the creator's URL for a work waiting for approval
    scene = _scene("pending_approval")
    creator, other = scene.users["creator"], scene.users["other_user"]
    url = media_url(file=scene.work.video, viewer=creator)
    path, query = url.split("?")
    signature = query.split("sig=")[1]
    forged = "A" if signature[-1] != "A" else "B"

    # when: the signature, the viewer or the file is changed
    attempts = {
        "signature": f"{path}?{query[:-1]}{forged}",
        "viewer": f"{path}?{query.replace(str(creator.pk), str(other.pk))}",
        "public": f"{path}?{query.replace(str(creator.pk), PUBLIC)}",
        "file": f"/media/{scene.work.poster.name}?{query}",
        "no signature": path,
    }

    # then
    for what, attempt in attempts.items():
        assert fetch(Client(), attempt).status_code == 403, what
    assert fetch(Client(), url).status_code == 200


@pytest.mark.parametrize("state", STATES)
def test_the_raw_media_path_serves_nothing(state):
    # given: the file is on disk where the old /media/ route served it from
    scene = _scene(state)
    creator = Client()
    creator.force_login(scene.users["creator"])

    for client in (Client(), creator):
        # when
        response = client.get(f"/media/{scene.work.video.name}")

        # then
        assert response.status_code == 403


def test_a_file_no_row_names_is_not_served_even_when_signed():
    # given: files in storage that no work's video, image or document field names
    scene = _scene("published")
    stray = f"works/{scene.work.pk}/signed.mp4"
    default_storage.save(stray, SimpleUploadedFile("x", b"stray"))
    default_storage.save("renders/leftover.mp4", SimpleUploadedFile("x", b"stray"))

    for name in (stray, "renders/leftover.mp4", "works/not-a-uuid/video.mp4"):
        # when
        response = fetch(Client(), media_signed_url(name=name, viewer=PUBLIC))

        # then
        assert response.status_code == 404, name


def test_a_deactivated_users_urls_stop_working():
    # given
    scene = _scene("pending_approval")
    creator = scene.users["creator"]
    url = media_url(file=scene.work.video, viewer=creator)
    assert fetch(Client(), url).status_code == 200

    # when
    creator.is_active = False
    creator.save(update_fields=["is_active"])

    # then
    assert fetch(Client(), url).status_code == 404


# --- character reference images ---------------------------------------------------------


def _character_with_image(status: str = "active"):
    studio, (owner, viewer) = verified_studio(roles=("owner", "viewer"))
    character = CharacterFactory(owner_organization=studio)
    image = licensing_services.character_image_add(
        character=character, by=owner, file=SimpleUploadedFile("r.png", png_bytes(), "image/png")
    )
    if status != "active":
        licensing_services.character_update(character=character, by=owner, status=status)
        image.refresh_from_db()
    return image, owner, viewer


@pytest.mark.parametrize("status", ["active", "suspended"])
def test_reference_images_follow_the_character_page(status):
    # given
    image, owner, viewer = _character_with_image(status)
    who = {
        "anonymous": None,
        "other_user": UserFactory(),
        "rightsholder": owner,
        "rightsholder_viewer": viewer,
        "staff": UserFactory(is_staff=True),
    }
    allowed = set(who) if status == "active" else {"rightsholder", "staff"}

    for actor, user in who.items():
        for file in (image.image, image.thumbnail):
            # when
            response = fetch(Client(), media_url(file=file, viewer=user))

            # then
            assert response.status_code == (200 if actor in allowed else 404), (actor, file)


# --- verification documents -------------------------------------------------------------


def test_verification_documents_are_for_their_uploader_and_staff_only():
    # given: a studio's manager uploads a document
    studio, (owner, manager, viewer) = verified_studio(roles=("owner", "manager", "viewer"))
    document = accounts_services.organization_document_add(
        organization=studio,
        by=manager,
        title="Trademark",
        file=SimpleUploadedFile("t.pdf", plain_pdf(), "application/pdf"),
        max_bytes=10_000_000,
    )
    who = {
        "anonymous": None,
        "other_user": UserFactory(),
        "uploader": manager,
        "organization_owner": owner,
        "organization_viewer": viewer,
        "staff": UserFactory(is_staff=True),
    }

    for actor, user in who.items():
        # when
        response = fetch(Client(), media_url(file=document.file, viewer=user))

        # then
        if actor in ("uploader", "staff"):
            assert response.status_code == 200, actor
            assert response["Content-Disposition"].startswith("attachment;")
            assert response.body.startswith(b"%PDF")
        else:
            assert response.status_code == 404, actor


# --- how the file is sent ------------------------------------------------------------------


def test_a_byte_range_is_answered_with_206_and_only_those_bytes():
    # given
    scene = _scene("published")
    url = media_url(file=scene.work.video, viewer=None)
    data = default_storage.open(scene.work.video.name).read()
    client = Client()

    def get(range_header):
        return fetch(client, url, **({"HTTP_RANGE": range_header} if range_header else {}))

    # when / then
    first = get("bytes=0-3")
    assert first.status_code == 206 and first.body == data[:4]
    assert first["Content-Range"] == f"bytes 0-3/{len(data)}" and first["Content-Length"] == "4"
    tail = get("bytes=-5")
    assert tail.status_code == 206 and tail.body == data[-5:]
    rest = get("bytes=3-")
    assert rest.status_code == 206 and rest.body == data[3:]
    past = get(f"bytes={len(data)}-")
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{len(data)}"
    whole = get("")
    assert whole.status_code == 200 and whole.body == data and whole["Accept-Ranges"] == "bytes"
    assert whole["Cache-Control"].startswith("private, max-age=")


@pytest.mark.parametrize(
    ("header", "prefix"),
    [("X-Accel-Redirect", "/protected-media/"), ("X-Sendfile", "/srv/cocreate/media/")],
)
def test_in_production_the_web_server_sends_the_file(settings, header, prefix):
    # given
    settings.MEDIA_SENDFILE_HEADER = header
    settings.MEDIA_SENDFILE_PREFIX = prefix
    scene = _scene("pending_approval")
    creator = scene.users["creator"]

    # when
    allowed = fetch(Client(), media_url(file=scene.work.video, viewer=creator))
    denied = fetch(Client(), media_url(file=scene.work.video, viewer=scene.users["other_user"]))

    # then: no body from Python, the header names the file; a refusal carries no header
    assert allowed.status_code == 200 and allowed.body == b""
    assert allowed[header] == f"{prefix}{scene.work.video.name}"
    assert allowed["Content-Type"] == "video/mp4"
    assert denied.status_code == 404 and not denied.has_header(header)
