"""Pages and API answers that show stored files emit signed URLs (core/media.py) that
load for the person viewing them: work pages, the feed, the home page, the approvals
queue, the catalog and character pages, the API's works and feed, and the admin."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts import services as accounts_services
from licensing import services as licensing_services
from tests.access.world import png_bytes
from tests.builders import pending_approval_work, verified_studio
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for, publish_offer
from tests.marketplace.helpers import store_files
from tests.media import fetch, media_url_of, media_urls, viewer_of
from tests.mfa import log_in_with_totp, totp_activate
from tests.pdfs import plain_pdf

pytestmark = pytest.mark.django_db


def _published(title="Hoshi-chan dances"):
    creator = UserFactory()
    grant = grant_for(CharacterFactory(name="Hoshi-chan"), creator)
    return store_files(WorkFactory(creator=creator, grants=[grant], title=title))


def _awaiting_likeness_owner():
    person = UserFactory()
    likeness = CharacterFactory(kind="likeness", owner_organization=None, owner_user=person)
    creator = UserFactory()
    grant = grant_for(likeness, creator, approval="per_work")
    work = pending_approval_work(creator=creator, grant=grant, character=likeness, title="Me")
    return person, creator, store_files(work)


def _assert_loads(urls, work, viewer):
    """The page's URLs for ``work``'s video and poster are signed for ``viewer`` and
    load, anonymously (they are bearer links), with the stored bytes."""
    for file in (work.video, work.poster):
        url = media_url_of(urls, file.name)
        assert viewer_of(url) == viewer, (file.name, url)
        response = fetch(Client(), url)
        assert response.status_code == 200, url
        assert response.body == file.open("rb").read()


def test_a_published_work_page_plays_its_video_for_anyone(client):
    # given
    work = _published()

    # when
    html = client.get(work.get_absolute_url()).content.decode()

    # then
    _assert_loads(media_urls(html), work, "public")


def test_a_work_awaiting_approval_plays_for_the_likeness_owner_on_its_page(client):
    # given
    person, _, work = _awaiting_likeness_owner()
    client.force_login(person)

    # when
    html = client.get(work.get_absolute_url()).content.decode()

    # then
    _assert_loads(media_urls(html), work, str(person.pk))


def test_the_approvals_queue_plays_the_waiting_video_for_its_reviewer(client):
    # given
    person, _, work = _awaiting_likeness_owner()
    client.force_login(person)

    # when
    html = client.get(reverse("marketplace:approvals")).content.decode()

    # then
    _assert_loads(media_urls(html), work, str(person.pk))


def test_the_feed_and_the_home_page_show_files_that_load(client):
    # given
    works = [_published(title=f"Dance {n}") for n in range(3)]

    # when
    feed = media_urls(client.get(reverse("marketplace:feed")).content.decode())
    home = media_urls(client.get(reverse("home")).content.decode())

    # then
    for work in works:
        _assert_loads(feed, work, "public")
        poster = media_url_of(home, work.poster.name)
        assert fetch(Client(), poster).status_code == 200


def test_the_api_gives_absolute_signed_urls_for_the_caller(api_client):
    # given: a published work, and one waiting for its likeness owner
    published = _published()
    _, creator, pending = _awaiting_likeness_owner()

    # when
    feed = api_client.get("/api/v1/feed/").json()
    api_client.force_authenticate(creator)
    own = api_client.get(f"/api/v1/works/{pending.pk}/").json()

    # then: absolute URLs that load: "public" for the published one, the creator's own
    item = next(w for w in feed["results"] if w["id"] == str(published.pk))
    _assert_loads([item["video_url"], item["poster_url"]], published, "public")
    assert item["video_url"].startswith("http://testserver/media/")
    _assert_loads([own["video_url"], own["poster_url"]], pending, str(creator.pk))


def test_catalog_and_character_page_images_load_for_anyone(client):
    # given
    studio, (owner,) = verified_studio()
    character = CharacterFactory(owner_organization=studio, name="Kiri")
    publish_offer(character)
    image = licensing_services.character_image_add(
        character=character, by=owner, file=SimpleUploadedFile("k.png", png_bytes(), "image/png")
    )

    # when
    catalog = media_urls(client.get(reverse("licensing:catalog")).content.decode())
    page = media_urls(client.get(character.get_absolute_url()).content.decode())
    api = client.get(f"/api/v1/characters/{character.pk}/").json()["images"][0]

    # then
    for url in (
        media_url_of(catalog, image.thumbnail.name),
        media_url_of(page, image.image.name),
        api["image"],
        api["thumbnail"],
    ):
        assert viewer_of(url) == "public"
        assert fetch(Client(), url).status_code == 200, url


def test_staff_open_a_verification_document_and_a_suspended_characters_image_in_the_admin():
    # given: a document only its uploader and staff may see, and a hidden character's image
    studio, (owner,) = verified_studio()
    document = accounts_services.organization_document_add(
        organization=studio,
        by=owner,
        title="Trademark",
        file=SimpleUploadedFile("t.pdf", plain_pdf(), "application/pdf"),
        max_bytes=10_000_000,
    )
    character = CharacterFactory(owner_organization=studio)
    image = licensing_services.character_image_add(
        character=character, by=owner, file=SimpleUploadedFile("k.png", png_bytes(), "image/png")
    )
    licensing_services.character_update(character=character, by=owner, status="suspended")
    staff = UserFactory(is_staff=True, is_superuser=True)
    admin = Client()
    log_in_with_totp(admin, staff, secret=totp_activate(staff))

    # when
    organization_page = admin.get(reverse("admin:accounts_organization_change", args=[studio.pk]))
    character_page = admin.get(reverse("admin:licensing_character_change", args=[character.pk]))

    # then: their links are signed for this staff member, and load
    document_url = media_url_of(media_urls(organization_page.content.decode()), document.file.name)
    image_url = media_url_of(media_urls(character_page.content.decode()), image.thumbnail.name)
    for url in (document_url, image_url):
        assert viewer_of(url) == str(staff.pk)
        assert fetch(Client(), url).status_code == 200, url
