import json

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from licensing.models import Character, Offer, PolicyDecision
from tests.factories import (
    CharacterFactory,
    MembershipFactory,
    UserFactory,
    editor_of,
    grant_for,
    publish_offer,
)

pytestmark = pytest.mark.django_db
ODRL = "http://www.w3.org/ns/odrl/2/"


def test_catalog_api_lists_published_characters_with_filters(api_client):
    free = CharacterFactory(name="Hoshi-chan", franchise="Star Diary")
    paid = CharacterFactory(name="Kuro", franchise="Night Cats")
    CharacterFactory(name="Unpublished")
    publish_offer(free, commercial_use=False)
    publish_offer(paid, commercial_use=True, upfront_fee=1_000)

    def names(**params):
        return [c["name"] for c in api_client.get("/api/v1/characters/", params).json()["results"]]

    assert sorted(names()) == ["Hoshi-chan", "Kuro"]
    assert names(free="true") == ["Hoshi-chan"]
    assert names(free="false") == ["Kuro"]
    assert names(commercial="true") == ["Kuro"]
    assert names(franchise="night cats") == ["Kuro"]
    assert names(q="hoshi") == ["Hoshi-chan"]
    body = api_client.get("/api/v1/characters/", {"q": "hoshi"}).json()["results"][0]
    assert body["offers"][0]["summary"].startswith("You may")
    assert body["owner"]["kind"] == "organization"


def test_catalog_api_query_count_does_not_grow_with_page_size(
    api_client, django_assert_num_queries
):
    for n in range(3):
        publish_offer(CharacterFactory(name=f"A{n}"))
    # the catalog's read model: a COUNT and the page (licensing/services/catalog.py)
    with django_assert_num_queries(2) as small:
        api_client.get("/api/v1/characters/")
    for n in range(12):
        publish_offer(CharacterFactory(name=f"B{n}"))
    with django_assert_num_queries(len(small.captured_queries)):
        response = api_client.get("/api/v1/characters/")
    assert response.json()["count"] == 15


def test_catalog_api_search_query_count_does_not_grow_with_matches(
    api_client, django_assert_num_queries
):
    # given: three matching characters, by name, by alias and by franchise
    from licensing.models import CharacterAlias

    publish_offer(CharacterFactory(name="Lumen Alpha"))
    aliased = CharacterFactory(name="Other")
    CharacterAlias.objects.create(character=aliased, text="Lumen the Bright")
    publish_offer(aliased)
    publish_offer(CharacterFactory(name="Third", franchise="Lumen Saga"))
    publish_offer(CharacterFactory(name="Unrelated", franchise="Elsewhere"))
    # the catalog's read model: the page and its count in one query
    with django_assert_num_queries(1) as small:
        first = api_client.get("/api/v1/characters/", {"q": "lumen"}).json()
    assert first["count"] == 3

    # when: twelve more match, each with aliases
    for n in range(12):
        character = CharacterFactory(name=f"Lumen {n}")
        CharacterAlias.objects.create(character=character, text=f"Lumen alias {n}")
        CharacterAlias.objects.create(character=character, text=f"Bright {n}")
        publish_offer(character)

    # then: the same queries, and each character once although it matches twice
    with django_assert_num_queries(len(small.captured_queries)):
        response = api_client.get("/api/v1/characters/", {"q": "lumen"})
    body = response.json()
    assert body["count"] == 15
    assert len({row["id"] for row in body["results"]}) == 15


def test_member_registers_a_character_and_an_outsider_cannot_edit_it(api_client):
    membership = MembershipFactory(organization__verification_status="verified")
    api_client.force_authenticate(membership.user)
    created = api_client.post(
        "/api/v1/characters/",
        {
            "organization": membership.organization.slug,
            "name": "Hoshi-chan",
            "aliases": [{"text": "ほしちゃん", "mode": "normal"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]

    outsider = MembershipFactory().user  # a member of another organization
    api_client.force_authenticate(outsider)
    patch = api_client.patch(f"/api/v1/characters/{pk}/", {"name": "Stolen"}, format="json")
    offer = api_client.post(
        f"/api/v1/characters/{pk}/offers/", {"terms": {"credit_text": "x"}}, format="json"
    )
    foreign = api_client.post(
        "/api/v1/characters/",
        {"organization": membership.organization.slug, "name": "Mine"},
        format="json",
    )

    assert patch.status_code == 403
    assert patch.json()["code"] == "permission_denied"
    assert offer.status_code == 403
    assert foreign.status_code == 403
    assert Character.objects.get(pk=pk).name == "Hoshi-chan"
    assert not Offer.objects.exists()


def test_offer_draft_publish_and_odrl_over_the_api(api_client):
    character = CharacterFactory()
    api_client.force_authenticate(editor_of(character))

    draft = api_client.post(
        f"/api/v1/characters/{character.pk}/offers/",
        {"preset": "commercial_remix", "terms": {"credit_text": "Hoshi Studio"}},
        format="json",
    ).json()
    assert draft["status"] == "draft" and draft["terms"]["rev_share_bps"] == 1_500

    # an outsider cannot see or publish the draft
    api_client.force_authenticate(UserFactory())
    assert api_client.get(f"/api/v1/offers/{draft['id']}/").status_code == 404
    assert api_client.post(f"/api/v1/offers/{draft['id']}/publish/").status_code == 404

    api_client.force_authenticate(editor_of(character))
    published = api_client.post(f"/api/v1/offers/{draft['id']}/publish/").json()
    assert published["status"] == "published" and len(published["terms_hash"]) == 64

    api_client.force_authenticate(None)
    odrl = api_client.get(f"/api/v1/offers/{draft['id']}/odrl/")
    assert odrl.status_code == 200
    graph = Graph().parse(data=json.dumps(odrl.json()), format="json-ld")
    policy = URIRef(odrl.json()["uid"])
    assert (policy, RDF.type, URIRef(ODRL + "Offer")) in graph
    actions = {str(o) for o in graph.objects(None, URIRef(ODRL + "action"))}
    assert ODRL + "derive" in actions


def test_invalid_terms_get_a_field_level_400(api_client):
    character = CharacterFactory()
    api_client.force_authenticate(editor_of(character))

    response = api_client.post(
        f"/api/v1/characters/{character.pk}/offers/",
        {"terms": {"credit_text": "x", "rev_share_bps": 20_000}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["field"] == "rev_share_bps"
    assert response.json()["code"] == "invalid_terms"


def test_accept_over_the_api_and_price_protection_conflict(api_client):
    character = CharacterFactory()
    offer = publish_offer(character, rev_share_bps=1_000)
    api_client.force_authenticate(UserFactory())

    low = api_client.post(
        f"/api/v1/offers/{offer.pk}/accept/",
        {"max_fee": 0, "max_rev_share_bps": 500},
        format="json",
    )
    ok = api_client.post(
        f"/api/v1/offers/{offer.pk}/accept/",
        {"max_fee": 0, "max_rev_share_bps": 1000},
        format="json",
    )

    assert low.status_code == 409 and low.json()["code"] == "price_changed"
    assert ok.status_code == 201 and ok.json()["status"] == "active"


def test_grants_are_visible_only_to_their_licensee_and_licensor(api_client):
    character = CharacterFactory()
    creator = UserFactory()
    grant = grant_for(character, creator, approval="per_licensee")

    api_client.force_authenticate(UserFactory())
    assert api_client.get(f"/api/v1/grants/{grant.pk}/").status_code == 404
    assert (
        api_client.post(f"/api/v1/grants/{grant.pk}/decide/", {"decision": "approve"}).status_code
        == 404
    )
    assert api_client.get("/api/v1/grants/").json()["count"] == 0

    api_client.force_authenticate(editor_of(character))
    queue = api_client.get(
        "/api/v1/grants/", {"role": "licensor", "status": "pending_approval"}
    ).json()
    assert [g["id"] for g in queue["results"]] == [str(grant.pk)]
    decided = api_client.post(
        f"/api/v1/grants/{grant.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert decided.json()["status"] == "active"

    api_client.force_authenticate(creator)
    mine = api_client.get("/api/v1/grants/").json()
    assert [g["id"] for g in mine["results"]] == [str(grant.pk)]
    agreement = api_client.get(f"/api/v1/grants/{grant.pk}/odrl/").json()
    graph = Graph().parse(data=json.dumps(agreement), format="json-ld")
    assert (URIRef(agreement["uid"]), RDF.type, URIRef(ODRL + "Agreement")) in graph
    ended = api_client.post(f"/api/v1/grants/{grant.pk}/end/", {}, format="json")
    assert ended.json()["status"] == "ended"


def test_screen_endpoint_refuses_an_unlicensed_character_by_name_and_records_it(api_client):
    licensed = CharacterFactory(name="Hoshi-chan")
    other = CharacterFactory(name="Kuro Neko")
    creator = UserFactory()
    grant_for(licensed, creator)
    publish_offer(other)
    api_client.force_authenticate(creator)

    allowed = api_client.post(
        "/api/v1/screen/",
        {"prompt": "Hoshi-chan waves", "character_ids": [str(licensed.pk)]},
        format="json",
    ).json()
    refused = api_client.post(
        "/api/v1/screen/",
        {"prompt": "Hoshi-chan hugs ＫＵＲＯ　ＮＥＫＯ", "character_ids": [str(licensed.pk)]},
        format="json",
    ).json()

    assert allowed["allowed"] is True
    assert refused["allowed"] is False
    assert refused["reasons"][0]["character_name"] == "Kuro Neko"
    assert refused["reasons"][0]["code"] == "unlicensed_character"
    assert PolicyDecision.objects.count() == 2
    record = PolicyDecision.objects.get(pk=refused["id"])
    assert record.allowed is False and record.reasons[0]["term"] == "grant"


def test_screen_rejects_malformed_input_in_the_error_shape(api_client, user):
    api_client.force_authenticate(user)

    response = api_client.post(
        "/api/v1/screen/", {"prompt": "", "character_ids": ["nope"]}, format="json"
    )

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"prompt", "character_ids.0"}


def test_a_likeness_owned_by_a_person_matches_the_documented_character_schema(api_client):
    # given: a likeness belongs to a person, not an organization, so its owner has no slug
    from tests.api.openapi import openapi, operations, validate

    person = UserFactory(display_name="Aiko Tanaka")
    likeness = CharacterFactory(
        kind="likeness", owner_organization=None, owner_user=person, name="Aiko Tanaka"
    )
    _path, _method, operation = operations(openapi())["v1_characters_retrieve"]

    # when
    response = api_client.get(f"/api/v1/characters/{likeness.pk}/")

    # then
    assert response.json()["owner"] == {"kind": "person", "name": "Aiko Tanaka", "slug": None}
    validate(
        response.json(), operation["responses"]["200"]["content"]["application/json"]["schema"]
    )


def test_patching_aliases_applies_the_default_mode_and_requires_the_text(api_client):
    # given
    character = CharacterFactory(name="Hoshi-chan")
    api_client.force_authenticate(editor_of(character))
    url = f"/api/v1/characters/{character.pk}/"

    # when: an alias without a mode, then one without a text
    without_mode = api_client.patch(url, {"aliases": [{"text": "ほしちゃん"}]})
    without_text = api_client.patch(url, {"aliases": [{"mode": "exact_case"}]})

    # then
    assert without_mode.status_code == 200, without_mode.content
    assert without_mode.json()["aliases"] == [{"text": "ほしちゃん", "mode": "normal"}]
    assert without_text.status_code == 400
    assert without_text.json()["code"] == "required"
    assert without_text.json()["field"].startswith("aliases")
    assert list(character.aliases.values_list("text", flat=True)) == ["ほしちゃん"]


@pytest.mark.parametrize("inline_limit", [None, 2], ids=["ids read once", "over the limit"])
def test_catalog_search_pages_are_the_same_whichever_way_the_matches_are_read(
    api_client, monkeypatch, inline_limit
):
    # given: 30 matching characters with an offer, one without, one that does not match
    from licensing import selectors
    from licensing.models import CharacterAlias

    if inline_limit is not None:  # more matches than this: a plain queryset and a COUNT
        monkeypatch.setattr(selectors, "SEARCH_IDS_MAX", inline_limit)
    made = []
    for n in range(30):
        character = CharacterFactory(name=f"Kaze {n}" if n % 2 else f"Other {n}")
        if n % 2 == 0:
            CharacterAlias.objects.create(character=character, text=f"kaze alias {n}")
        publish_offer(character)
        made.append(character)
    CharacterFactory(name="Kaze without an offer")
    publish_offer(CharacterFactory(name="Elsewhere"))
    newest_first = [
        str(c.pk) for c in sorted(made, key=lambda c: (-c.created_at.timestamp(), c.pk))
    ]

    # when: both pages of the search are read
    first = api_client.get("/api/v1/characters/", {"q": "KAZE"}).json()
    second = api_client.get(first["next"]).json()

    # then: every match once, newest first, counted, with the pages linked both ways
    assert first["count"] == second["count"] == 30
    assert [row["id"] for row in first["results"] + second["results"]] == newest_first
    assert second["next"] is None and second["previous"] is not None
    assert api_client.get("/api/v1/characters/", {"q": "kaze", "page": 3}).status_code == 404


@pytest.mark.postgresql
def test_catalog_search_indexes_merge_new_entries_at_write_time():
    # given: a character and an alias written after the indexes were built
    from django.db import connection

    from licensing.models import CharacterAlias

    CharacterAlias.objects.create(character=CharacterFactory(name="Fresh"), text="Fresh alias")

    # when: PostgreSQL reports the trigram indexes' options and pending entries
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_am a ON a.oid = c.relam"
            " WHERE a.amname = 'gin' AND c.relname LIKE 'licensing%%_trgm' ORDER BY 1"
        )
        options = dict(cursor.fetchall())
        cursor.execute(
            "SELECT sum(gin_clean_pending_list(c.oid)) FROM pg_class c WHERE c.relname = ANY(%s)",
            [list(options)],
        )
        pending = cursor.fetchone()[0]

    # then: all five (four on the sources, one on the catalog's read model) write
    # through, so a search never reads a pending list
    assert len(options) == 5
    assert set(map(tuple, options.values())) == {("fastupdate=off",)}
    assert pending == 0
