"""The catalog's search and cards: studios found by name, the alias a search matched,
romaji beside a Japanese name, and a "Licensed" badge on what the creator holds, all
without a query per card."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from licensing import services
from licensing.models import Character
from tests.factories import (
    CharacterFactory,
    OrganizationFactory,
    UserFactory,
    editor_of,
    grant_for,
    publish_offer,
)

pytestmark = pytest.mark.django_db

CATALOG = reverse("licensing:catalog")


def _card(html: str, character: Character) -> str:
    """The markup of ``character``'s card on the page."""
    url = character.get_absolute_url()
    cards = [chunk for chunk in html.split('<li class="card character-card">')[1:] if url in chunk]
    assert len(cards) == 1, f"{character.name} is not on the page once"
    return cards[0].split("</li>")[0]


def _listed(character: Character, html: str) -> bool:
    return character.get_absolute_url() in html


def _studio(name: str):
    return OrganizationFactory(name=name, verification_status="verified")


def test_a_search_finds_a_studios_characters_by_the_studios_name(client):
    kaze = CharacterFactory(name="Hoshi", owner_organization=_studio("Studio Kaze"))
    other = CharacterFactory(name="Kuro", owner_organization=_studio("Aoi Works"))
    publish_offer(kaze)
    publish_offer(other)

    html = client.get(CATALOG, {"q": "kaze"}).content.decode()

    assert _listed(kaze, html)
    assert not _listed(other, html)


def test_a_card_says_which_alias_the_search_matched(client):
    hoshi = CharacterFactory(name="Hoshi-chan")
    services.character_aliases_set(
        character=hoshi, by=editor_of(hoshi), aliases=["ほしちゃん", "Star Girl"]
    )
    publish_offer(hoshi)

    by_alias = client.get(CATALOG, {"q": "ほし"}).content.decode()
    by_name = client.get(CATALOG, {"q": "hoshi"}).content.decode()

    assert "Matched alias “ほしちゃん”" in _card(by_alias, hoshi)
    # the name itself matched: nothing to explain
    assert "Matched alias" not in _card(by_name, hoshi)


def test_a_japanese_name_shows_its_romaji_and_a_latin_name_shows_none(client):
    hana = CharacterFactory(name="桜ハナ")
    services.name_forms_refresh(character=hana, announce=False)
    nami = CharacterFactory(name="Captain Nami")
    services.name_forms_refresh(character=nami, announce=False)
    publish_offer(hana)
    publish_offer(nami)

    html = client.get(CATALOG).content.decode()

    assert '桜ハナ</a> <span class="romaji" lang="ja-Latn">Sakura Hana</span>' in _card(html, hana)
    assert 'class="romaji"' not in _card(html, nami)


def test_a_signed_in_creator_sees_licensed_on_what_they_hold_and_only_there(client):
    creator = UserFactory()
    held, other = CharacterFactory(name="Hoshi"), CharacterFactory(name="Kuro")
    grant_for(held, creator)
    publish_offer(other)
    someone_elses = CharacterFactory(name="Nami")
    grant_for(someone_elses, UserFactory())

    anonymous = client.get(CATALOG).content.decode()
    client.force_login(creator)
    signed_in = client.get(CATALOG).content.decode()

    assert ">Licensed</span>" in _card(signed_in, held)
    assert ">Licensed</span>" not in _card(signed_in, other)
    assert ">Licensed</span>" not in _card(signed_in, someone_elses)
    assert ">Licensed</span>" not in anonymous


def _licensed_catalog(creator, count: int) -> None:
    """``count`` characters, each with an alias, a Japanese-named half, every other one
    licensed to ``creator``."""
    for i in range(count):
        character = CharacterFactory(name=f"星 {i}" if i % 2 else f"Star {i}")
        services.character_aliases_set(
            character=character, by=editor_of(character), aliases=[f"Stella {i}"]
        )
        services.name_forms_refresh(character=character, announce=False)
        if i % 2:
            grant_for(character, creator)
        else:
            publish_offer(character)


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(CATALOG, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("params", [{}, {"q": "stella"}])
def test_the_cards_facts_cost_no_query_per_card(client, params):
    creator = UserFactory()
    client.force_login(creator)
    _licensed_catalog(creator, 3)
    few = _queries(client, params)

    _licensed_catalog(creator, 17)
    many = _queries(client, params)

    assert many == few
    html = client.get(CATALOG, params).content.decode()
    assert html.count(">Licensed</span>") == 1 + 8  # the odd ones of each batch
    if params:
        assert html.count("Matched alias “Stella") == 20


# The web catalog's parameters for the API's filters (tests/licensing/test_catalog_documents).
_WEB_PARAMS = {
    "commercial": ("use", {"true": "commercial", "false": "noncommercial"}),
    "free": ("price", {"true": "free", "false": "paid"}),
}


def _web(params: dict) -> dict:
    web = {}
    for key, value in params.items():
        name, values = _WEB_PARAMS.get(key, (key, None))
        web[name] = values[value] if values else value
    return web


def _old_cards(params: dict, viewer) -> list[dict]:
    """What the old path (``catalog_characters``, model instances) showed on a card."""
    from licensing.selectors import catalog_characters

    characters = catalog_characters(
        q=params.get("q", "").strip(),
        kind=params.get("kind", ""),
        franchise=params.get("franchise", ""),
        commercial={"true": True, "false": False}.get(params.get("commercial", "")),
        free={"true": True, "false": False}.get(params.get("free", "")),
        viewer=viewer,
    )
    cards = []
    for character in list(characters[:24]):
        offer = character.published_offers[0]
        cards.append(
            {
                "url": character.get_absolute_url(),
                "name": character.name,
                "romaji": character.romaji or "",
                "matched_alias": getattr(character, "matched_alias", None),
                "commercial": offer.commercial_use,
                "fee": (offer.upfront_fee, offer.currency),
                "licensed": bool(getattr(character, "licensed", False)),
                "thumbnail": bool(character.ordered_images),
            }
        )
    return cards


def _new_cards(client, params: dict) -> list[dict]:
    response = client.get(CATALOG, _web(params))
    assert response.status_code == 200
    return [
        {
            "url": card["url"],
            "name": card["name"],
            "romaji": card["romaji"],
            "matched_alias": card["matched_alias"],
            "commercial": card["offer"]["commercial_use"],
            "fee": (card["offer"]["upfront_fee"], card["offer"]["currency"]),
            "licensed": card["licensed"],
            "thumbnail": bool(card["thumbnail_url"]),
        }
        for card in response.context["page"].object_list
    ]


def test_the_web_catalogs_cards_from_the_read_model_are_the_old_paths_cards(client):
    # given: a catalog with characters in every state, one of them licensed to the viewer
    from tests.licensing.test_catalog_documents import SEARCHES, _world

    world = _world()
    creator = UserFactory()
    grant_for(world["kuro"], creator)
    services.name_forms_refresh(character=world["hoshi"], announce=False)
    client.force_login(creator)

    # when / then: every search and filter shows the same cards, fact for fact
    for params in SEARCHES:
        assert _new_cards(client, params) == _old_cards(params, creator), params


def test_the_web_catalog_page_past_the_end_shows_the_last_page(client):
    # given
    for i in range(26):
        publish_offer(CharacterFactory(name=f"Star {i}"))

    # when
    response = client.get(CATALOG, {"q": "star", "page": "9"})

    # then
    page = response.context["page"]
    assert (page.number, len(page.object_list), page.paginator.count) == (2, 2, 26)


@pytest.mark.parametrize("count", [1, 20])
def test_a_web_catalog_search_is_one_query_for_its_cards_whatever_their_number(
    client, django_assert_num_queries, count
):
    # given: a signed-in creator: the session, the user, the page's memberships and
    # notifications, the search page and its count in one query, which of the page's
    # characters they hold, the franchise list
    creator = UserFactory()
    client.force_login(creator)
    _licensed_catalog(creator, count)

    # when
    with django_assert_num_queries(7):
        response = client.get(CATALOG, {"q": "stella"})

    # then
    assert len(response.context["page"].object_list) == count


@pytest.mark.parametrize("url", [CATALOG, "/api/v1/characters/"])
def test_a_catalog_page_number_past_any_offset_is_not_a_server_error(client, url):
    # given
    publish_offer(CharacterFactory(name="Star"))

    # when
    response = client.get(url, {"q": "star", "page": "9" * 25})

    # then: the web page shows the last page, the API says there is no such page
    assert response.status_code == (200 if url == CATALOG else 404)
