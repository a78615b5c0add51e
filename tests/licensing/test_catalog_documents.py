"""The catalog's read model (licensing/services/catalog.py): the API's catalog pages,
read from the documents, are the pages the old path (``catalog_characters`` and
``CharacterOutputSerializer``) makes, for searches, filters and pages; the services
keep the documents current as they write; ``read_models_rebuild`` remakes them."""

import io
import json

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from licensing import selectors, services
from licensing.api.serializers import CharacterOutputSerializer
from licensing.models import CatalogDocument, CharacterAlias
from tests.factories import (
    CharacterFactory,
    UserFactory,
    editor_of,
    proven_likeness,
    publish_offer,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/characters/"


def _upload(name: str = "ref.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "orange").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _old_page(params: dict) -> dict:
    """What the old path serves for ``params``: the matching characters through
    ``CharacterOutputSerializer``, paginated as the API does (25 a page)."""
    from django.core.paginator import Paginator

    filters = {
        "q": params.get("q", "").strip(),
        "kind": params.get("kind", ""),
        "franchise": params.get("franchise", ""),
        "commercial": {"true": True, "false": False}.get(params.get("commercial", "")),
        "free": {"true": True, "false": False}.get(params.get("free", "")),
    }
    characters = selectors.catalog_characters(**filters).prefetch_related("aliases")
    paginator = Paginator(characters, 25)
    page = paginator.page(int(params.get("page", 1)))
    request = APIRequestFactory().get(URL, params)
    data = CharacterOutputSerializer(
        list(page.object_list), many=True, context={"request": request}
    ).data
    return {"count": paginator.count, "results": json.loads(JSONRenderer().render(data))}


def _world():
    """Characters in every catalog state: a studio's, with aliases, reference images
    and a free and a paid offer; a person's likeness with an image; one disallowed,
    one archived, one with no published offer, and another studio's."""
    hoshi = CharacterFactory(
        name="Hoshi-chan", franchise="Star Diary", description="A cheerful comet girl"
    )
    editor = editor_of(hoshi)
    services.character_aliases_set(
        character=hoshi, by=editor, aliases=[("ほしちゃん", "normal"), ("Comet Kid", "normal")]
    )
    services.character_image_add(character=hoshi, by=editor, file=_upload("a.png"))
    services.character_image_add(character=hoshi, by=editor, file=_upload("b.png"))
    publish_offer(hoshi, commercial_use=False)
    publish_offer(hoshi, commercial_use=True, upfront_fee=1_500)
    kuro = CharacterFactory(
        name="Kuro", franchise="Night Cats", owner_organization__name="Moonlit Works"
    )
    publish_offer(kuro, commercial_use=True, upfront_fee=900)
    person = UserFactory(display_name="Aiko Tanaka")
    likeness = proven_likeness(person, "Aiko Tanaka", images=[_upload()])
    publish_offer(likeness)
    banned = CharacterFactory(name="Hoshi Banned", franchise="Star Diary")
    publish_offer(banned)
    services.characters_mark_disallowed(character_ids=[banned.pk], by=UserFactory(is_staff=True))
    archived = CharacterFactory(name="Hoshi Archived", franchise="Star Diary")
    publish_offer(archived)
    services.character_update(character=archived, by=editor_of(archived), status="archived")
    CharacterFactory(name="Hoshi Unpublished", franchise="Star Diary")
    return {"hoshi": hoshi, "kuro": kuro, "likeness": likeness}


SEARCHES = [
    {},
    {"q": "hoshi"},
    {"q": "HOSHI-CHAN"},
    {"q": "ほし"},
    {"q": "comet"},  # an alias and a description
    {"q": "moonlit"},  # the studio's name
    {"q": "star diary"},  # the franchise
    {"q": "aiko"},
    {"q": "nothing matches this"},
    {"q": "%"},
    {"q": "_"},
    {"kind": "likeness"},
    {"kind": "character", "q": "o"},
    {"franchise": "star DIARY"},
    {"commercial": "true"},
    {"commercial": "false"},
    {"free": "true"},
    {"free": "false"},
    {"q": "o", "free": "false", "commercial": "true"},
]


def test_catalog_pages_from_the_read_model_are_the_old_paths_pages(api_client):
    # given: a catalog with characters in every state
    _world()

    # when / then: every search and filter gives the same page, field for field
    with time_machine.travel(timezone.now(), tick=False):  # the same signed media URLs
        for params in SEARCHES:
            new = api_client.get(URL, params).json()
            old = _old_page(params)
            assert new["count"] == old["count"], params
            assert new["results"] == old["results"], params
    assert {d.character_id for d in CatalogDocument.objects.all()} == {
        c.pk for c in _world_listed()
    }


def _world_listed():
    from licensing.models import Character

    return Character.objects.filter(
        status="active", disallowed=False, offers__status="published"
    ).distinct()


def test_catalog_search_pages_and_counts_match_the_old_path_past_the_first_page(
    api_client, django_assert_num_queries
):
    # given: 30 matches, by name or alias, across two pages
    for n in range(30):
        character = CharacterFactory(name=f"Kaze {n}" if n % 2 else f"Other {n}")
        if n % 2 == 0:
            CharacterAlias.objects.create(character=character, text=f"kaze alias {n}")
        publish_offer(character)

    # when: the second page is read
    with django_assert_num_queries(1):  # the page and its count together
        second = api_client.get(URL, {"q": "kaze", "page": 2}).json()

    # then: it is the old path's second page
    with time_machine.travel(timezone.now(), tick=False):
        assert second["results"] == _old_page({"q": "kaze", "page": 2})["results"]
    assert second["count"] == 30 and len(second["results"]) == 5
    assert second["next"] is None and second["previous"]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "3", "last2"])
def test_a_page_that_does_not_exist_is_a_404_as_before(api_client, page):
    for n in range(3):
        publish_offer(CharacterFactory(name=f"Kaze {n}"))
    response = api_client.get(URL, {"q": "kaze", "page": page})
    assert response.status_code == 404
    assert api_client.get(URL, {"page": page}).status_code == 404


def test_last_page_by_name_is_served(api_client):
    for n in range(3):
        publish_offer(CharacterFactory(name=f"Kaze {n}"))
    body = api_client.get(URL, {"q": "kaze", "page": "last"}).json()
    assert body["count"] == 3 and len(body["results"]) == 3


def test_a_term_holding_the_separator_is_refused_and_never_matches_across_texts(api_client):
    # given: a name and a franchise that a match across the separator would join
    publish_offer(CharacterFactory(name="Alpha", franchise="Beta"))

    # when: the term holds the separator the documents join their texts with
    response = api_client.get(URL, {"q": "Alpha\x1fBeta"})

    # then: the API refuses control characters (core/middleware.py), and the selector
    # leaves such a term to the old path, where no match spans two texts
    assert response.status_code == 400
    assert selectors.catalog_documents(q="Alpha\x1fBeta") is None
    assert len(selectors.catalog_characters(q="Alpha\x1fBeta")) == 0
    assert api_client.get(URL, {"q": "alpha"}).json()["count"] == 1


def _names(api_client, **params) -> list[str]:
    return [row["name"] for row in api_client.get(URL, params).json()["results"]]


def test_the_services_keep_the_documents_current(api_client):
    # given: a listed character
    character = CharacterFactory(name="Lumen", franchise="Glow")
    editor = editor_of(character)
    offer = publish_offer(character)
    assert _names(api_client, q="lumen") == ["Lumen"]

    # renamed, described, re-aliased: searched by the new texts only
    services.character_update(
        character=character, by=editor, name="Lux", description="Bright as day"
    )
    assert _names(api_client, q="lumen") == []
    assert _names(api_client, q="bright") == ["Lux"]
    services.character_aliases_set(character=character, by=editor, aliases=["Shiny"])
    assert _names(api_client, q="shiny") == ["Lux"]
    assert api_client.get(URL, {"q": "shiny"}).json()["results"][0]["aliases"] == [
        {"text": "Shiny", "mode": "normal"}
    ]

    # an image: on the card, signed
    services.character_image_add(character=character, by=editor, file=_upload())
    images = api_client.get(URL, {"q": "lux"}).json()["results"][0]["images"]
    assert len(images) == 1 and "sig=" in images[0]["thumbnail"]
    services.character_image_delete(image=character.images.get(), by=editor)
    assert api_client.get(URL, {"q": "lux"}).json()["results"][0]["images"] == []

    # its only offer ended: out of the catalog
    services.offer_end(offer=offer, by=editor)
    assert _names(api_client, q="lux") == []
    assert not CatalogDocument.objects.filter(character=character).exists()

    # a new offer: back; disallowed by staff: out again
    publish_offer(character, upfront_fee=500)
    assert _names(api_client, q="lux", free="false") == ["Lux"]
    services.characters_mark_disallowed(character_ids=[character.pk], by=UserFactory(is_staff=True))
    assert _names(api_client, q="lux") == []


def test_read_models_rebuild_remakes_the_documents(api_client):
    # given: a catalog, and its documents lost (rows written outside the services)
    _world()
    with time_machine.travel(timezone.now(), tick=False):
        before = api_client.get(URL, {"q": "o"}).json()
        CatalogDocument.objects.all().delete()
        assert api_client.get(URL, {"q": "o"}).json()["count"] == 0

        # when
        call_command("read_models_rebuild", "--only", "catalog", stdout=io.StringIO())

        # then
        assert api_client.get(URL, {"q": "o"}).json() == before
