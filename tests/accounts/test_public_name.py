"""A person's public name (accounts/names.py): others see their display name or a
placeholder made from their id, never their email address; setting it on
/profile/ rewrites what shows it elsewhere (feed cards, their likeness's catalog
document) in the same transaction; a bad name is refused with the reason."""

import pytest
from django.urls import reverse

from accounts.names import placeholder_name
from licensing.models import CatalogDocument
from licensing.services.catalog import catalog_documents_refresh
from marketplace.models import FeedEntry
from marketplace.services import feed
from tests.builders import licensed_work
from tests.factories import UserFactory, proven_likeness, publish_offer

pytestmark = pytest.mark.django_db
URL = reverse("accounts:profile_settings")


def test_a_person_without_a_display_name_is_shown_by_a_placeholder_never_the_email(
    client, api_client
):
    # given: a published work by someone who never set a name
    creator = UserFactory(display_name="", email="private.person@example.com")
    work, _ = licensed_work(creator=creator)
    expected = placeholder_name(creator.pk)

    # when: the public surfaces that name the creator
    pages = [
        api_client.get("/api/v1/feed/").content.decode(),
        client.get(reverse("marketplace:feed")).content.decode(),
        client.get(work.get_absolute_url()).content.decode(),
        client.get(reverse("marketplace:profile", kwargs={"pk": creator.pk})).content.decode(),
    ]

    # then
    assert str(creator) == creator.public_name == expected
    assert expected.startswith("Creator ") and len(expected) == len("Creator ") + 6
    for page in pages:
        assert "private.person" not in page
        assert expected in page
    assert FeedEntry.objects.get(work=work).payload["creator"] == expected


def test_the_rebuild_in_sql_names_the_creator_as_the_services_do():
    # given
    creator = UserFactory(display_name="")
    work, _ = licensed_work(creator=creator)
    written = FeedEntry.objects.get(work=work).payload

    # when
    feed.feed_entries_rebuild()

    # then
    assert FeedEntry.objects.get(work=work).payload == written
    assert written["creator"] == placeholder_name(creator.pk)


def test_setting_a_public_name_rewrites_feed_cards_and_the_likeness_document(client):
    # given: a person with a published work and an active likeness of themselves
    person = UserFactory(display_name="")
    work, _ = licensed_work(creator=person)
    likeness = proven_likeness(person, "Aiko Sato")
    publish_offer(likeness)
    catalog_documents_refresh(character_ids=[likeness.pk])  # the factory skips the service
    assert CatalogDocument.objects.get(character=likeness).payload["owner"]["name"] == str(person)
    client.force_login(person)

    # when
    response = client.post(URL, {"display_name": "  Aiko  "}, follow=True)

    # then: the name is trimmed, shown, and written everywhere it appears
    assert response.status_code == 200
    assert "Others now see you as Aiko." in response.content.decode()
    person.refresh_from_db()
    assert person.display_name == "Aiko"
    assert FeedEntry.objects.get(work=work).payload["creator"] == "Aiko"
    assert CatalogDocument.objects.get(character=likeness).payload["owner"]["name"] == "Aiko"

    # when: cleared again
    client.post(URL, {"display_name": ""})

    # then: back to the placeholder, never the email
    assert FeedEntry.objects.get(work=work).payload["creator"] == placeholder_name(person.pk)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("x" * 81, "at most 80 characters"),
        ("Ai\u202eko", "control or invisible formatting characters"),
        ("Ai\u200bko", "control or invisible formatting characters"),
        ("Ai\x07ko", "control or invisible formatting characters"),
        ("aiko@example.com", "must not look like an email address"),
    ],
)
def test_a_bad_public_name_is_refused_with_the_reason_and_nothing_changes(client, name, reason):
    # given
    person = UserFactory(display_name="Ken")
    client.force_login(person)

    # when
    response = client.post(URL, {"display_name": name})

    # then
    assert response.status_code == 200
    assert reason in response.content.decode()
    person.refresh_from_db()
    assert person.display_name == "Ken"


def test_the_public_name_page_asks_a_signed_out_visitor_to_log_in(client):
    # when
    response = client.get(URL)

    # then
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
