"""The licensing web pages: catalog, character page and accept flow, the rightsholder
dashboard (registration, offer editor, approvals) and my licences."""

import io
import re
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from licensing import services
from licensing.models import Character, CharacterImage, Grant, NameForm, Offer
from licensing.summary import summary_points
from licensing.terms import Terms
from licensing.web.forms import OfferTermsForm
from tests.factories import (
    CharacterFactory,
    MembershipFactory,
    UserFactory,
    editor_of,
    grant_for,
    proven_likeness,
    publish_offer,
)

pytestmark = pytest.mark.django_db

CATALOG = reverse("licensing:catalog")


# --- helpers ------------------------------------------------------------------------------


def _png(name: str = "ref.png", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _gif(name: str = "ref.gif") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, "GIF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/gif")


def _listed(character: Character, html: str) -> bool:
    return character.get_absolute_url() in html


def _field_chunk(html: str, name: str) -> str:
    """The markup of one form field as rendered by accounts/_field.html: from its
    wrapper up to the next field's wrapper."""
    chunks = re.split(r'(?=<div class="field)', html)
    matching = [c for c in chunks if f'name="{name}"' in c]
    assert matching, f"no field {name!r} on the page"
    return matching[0]


def _field_errors(html: str, name: str) -> list[str]:
    return re.findall(r'<small class="error" role="alert">(.*?)</small>', _field_chunk(html, name))


def _oob_errors(html: str, name: str) -> list[str]:
    """The errors the live preview swaps in next to field ``name`` (out of band)."""
    match = re.search(
        rf'<div id="errors_{name}" class="errors-slot" hx-swap-oob="true">(.*?)</div>', html
    )
    assert match, f"no error slot for {name!r}"
    return re.findall(r'<small class="error" role="alert">(.*?)</small>', match.group(1))


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _offer_post_data(offer: Offer, **changes) -> dict:
    """What the offer editor posts back unchanged, with ``changes`` applied."""
    initial = OfferTermsForm.initial_from(
        offer.parsed_terms, title=offer.title, emails=[], costar_names=[]
    )
    initial.update(changes)
    data: dict = {}
    for name in OfferTermsForm.base_fields:
        value = initial.get(name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = list(value)
        elif value is None or isinstance(value, datetime):
            data[name] = "" if value is None else value.isoformat()
        else:
            data[name] = str(value)
    return data


def _snapshot() -> dict:
    return {
        "characters": sorted(Character.objects.values_list("id", "name", "status", "disallowed")),
        "offers": sorted(
            Offer.objects.values_list("id", "status", "version", "terms_hash", "upfront_fee")
        ),
        "images": sorted(CharacterImage.objects.values_list("id", flat=True)),
        "forms": sorted(NameForm.objects.values_list("id", "enabled")),
    }


# --- catalog ------------------------------------------------------------------------------


def test_catalog_lists_only_active_characters_with_a_published_offer(client):
    # given
    listed = CharacterFactory(name="Hoshi")
    publish_offer(listed)
    draft_only = CharacterFactory(name="Draftling")
    services.offer_create_draft(
        character=draft_only,
        by=editor_of(draft_only),
        terms={"credit_text": draft_only.rightsholder_name},
    )
    disallowed = CharacterFactory(name="Forbidden")
    publish_offer(disallowed)
    Character.objects.filter(pk=disallowed.pk).update(disallowed=True)
    suspended = CharacterFactory(name="Sleeper")
    publish_offer(suspended)
    Character.objects.filter(pk=suspended.pk).update(status="suspended")
    # edits made outside the services reach the catalog's read model by a refresh
    services.catalog_documents_refresh(character_ids=[disallowed.pk, suspended.pk])

    # when
    html = client.get(CATALOG).content.decode()

    # then
    assert _listed(listed, html)
    assert not _listed(draft_only, html)
    assert not _listed(disallowed, html)
    assert not _listed(suspended, html)
    assert "1 result" in html


@pytest.mark.parametrize("query", ["hoshi", "Star Child", "ほしちゃん"])
def test_catalog_search_matches_name_and_aliases_in_any_script(client, query):
    # given
    hoshi = CharacterFactory(name="Hoshi")
    services.character_aliases_set(
        character=hoshi, by=editor_of(hoshi), aliases=["Star Child", "ほしちゃん"]
    )
    publish_offer(hoshi)
    other = CharacterFactory(name="Kuro")
    publish_offer(other)

    # when
    html = client.get(CATALOG, {"q": query}).content.decode()

    # then
    assert _listed(hoshi, html)
    assert not _listed(other, html)


def test_catalog_filters_narrow_by_kind_franchise_use_and_price(client):
    # given
    studio_free = CharacterFactory(name="Studio Free", franchise="Star Diary")
    publish_offer(studio_free, commercial_use=False)
    studio_paid = CharacterFactory(name="Studio Paid", franchise="Moon Club")
    publish_offer(studio_paid, commercial_use=True, upfront_fee=2_000)
    person = UserFactory()
    likeness = proven_likeness(person, "Aiko")
    publish_offer(likeness, commercial_use=True)
    everyone = {studio_free, studio_paid, likeness}

    cases = {
        ("kind", "likeness"): {likeness},
        ("kind", "character"): {studio_free, studio_paid},
        ("franchise", "Moon Club"): {studio_paid},
        ("use", "commercial"): {studio_paid, likeness},
        ("use", "noncommercial"): {studio_free},
        ("price", "paid"): {studio_paid},
        ("price", "free"): {studio_free, likeness},
    }
    for (name, value), expected in cases.items():
        # when
        html = client.get(CATALOG, {name: value}).content.decode()

        # then
        shown = {c for c in everyone if _listed(c, html)}
        assert shown == expected, (name, value)


def test_catalog_paginates_24_per_page(client):
    # given
    organization_character = CharacterFactory()
    for _ in range(25):
        publish_offer(
            CharacterFactory(owner_organization=organization_character.owner_organization)
        )
    publish_offer(organization_character)

    # when
    first = client.get(CATALOG)
    second = client.get(CATALOG, {"page": 2})

    # then
    assert len(first.context["page"].object_list) == 24
    assert "Page 1 of 2" in first.content.decode()
    assert 'rel="next"' in first.content.decode()
    assert len(second.context["page"].object_list) == 2
    assert "Page 2 of 2" in second.content.decode()


def test_catalog_htmx_request_gets_only_the_results_fragment(client):
    character = CharacterFactory(name="Hoshi")
    publish_offer(character)

    full = client.get(CATALOG, {"q": "Hoshi"}).content.decode()
    fragment = client.get(CATALOG, {"q": "Hoshi"}, HTTP_HX_REQUEST="true").content.decode()

    assert "<html" in full
    assert "<html" not in fragment
    assert 'class="catalog-grid"' in fragment
    assert _listed(character, fragment)


def test_catalog_with_no_match_shows_the_empty_state(client):
    publish_offer(CharacterFactory(name="Hoshi"))

    response = client.get(CATALOG, {"q": "nobody by this name"})

    html = response.content.decode()
    assert "Nothing matches" in html
    assert 'class="catalog-grid"' not in html


def _catalog_with(count: int) -> None:
    """``count`` licensable characters: studio characters and likenesses, every other
    one with a reference image, some with two published offers."""
    for i in range(count):
        if i % 3 == 2:
            # A likeness's images come before its approval: a new one sends it back.
            images = [_png()] if i % 2 == 0 else []
            character = proven_likeness(UserFactory(), f"Person {i}", images=images)
        else:
            character = CharacterFactory()
            services.character_aliases_set(
                character=character, by=editor_of(character), aliases=[f"Alias {i}"]
            )
            if i % 2 == 0:
                services.character_image_add(
                    character=character, by=editor_of(character), file=_png()
                )
        publish_offer(character)
        if i % 4 == 0:
            publish_offer(character, commercial_use=True, upfront_fee=500)


# Session-less anonymous request over the catalog's read model: the page slice, the
# count and the franchise list; a search reads its page and count in one query.
CATALOG_QUERIES = 3
SEARCH_QUERIES = 2


@pytest.mark.parametrize("count", [3, 20])
def test_catalog_query_count_does_not_grow_with_the_page(client, django_assert_num_queries, count):
    # given
    _catalog_with(count)

    # when
    with django_assert_num_queries(CATALOG_QUERIES):
        response = client.get(CATALOG)

    # then
    assert len(response.context["page"].object_list) == count
    assert response.content.decode().count("/thumbs/") == (count + 1) // 2


def test_catalog_search_query_count_does_not_grow_with_the_page(client, django_assert_num_queries):
    _catalog_with(20)

    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.get(CATALOG, {"q": "r", "use": "commercial", "price": "paid"})

    assert len(response.context["page"].object_list) == 5


# --- character page and accepting -----------------------------------------------------


def _hidden_value(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name!r} on the page"
    return match.group(1)


def test_character_page_shows_the_plain_language_summary_and_accept_form(client, user):
    # given
    character = CharacterFactory(name="Hoshi")
    offer = publish_offer(character, commercial_use=True, rev_share_bps=500, upfront_fee=0)
    client.force_login(user)

    # when
    html = client.get(character.get_absolute_url()).content.decode()

    # then
    points = summary_points(
        offer.parsed_terms, kind=character.kind, rightsholder=character.rightsholder_name
    )
    assert points
    for point in points:
        assert escape(point) in html
    assert reverse("payments:offer_accept", args=[character.pk, offer.pk]) in html
    assert _hidden_value(html, "max_fee") == "0"
    assert _hidden_value(html, "max_rev_share_bps") == "500"


def test_character_page_says_the_licence_is_held_instead_of_offering_it_again(client, user):
    character = CharacterFactory()
    grant_for(character, user)
    client.force_login(user)

    html = client.get(character.get_absolute_url()).content.decode()

    assert "You hold this licence" in html
    assert 'name="max_fee"' not in html


def test_disallowed_character_page_offers_nothing_to_accept(client, user):
    character = CharacterFactory()
    publish_offer(character)
    Character.objects.filter(pk=character.pk).update(disallowed=True)
    client.force_login(user)

    html = client.get(character.get_absolute_url()).content.decode()

    assert "disallowed" in html
    assert 'name="max_fee"' not in html


def test_suspended_character_page_is_found_only_by_its_rightsholder(client, user):
    character = CharacterFactory()
    publish_offer(character)
    Character.objects.filter(pk=character.pk).update(status="suspended")

    client.force_login(user)
    public = client.get(character.get_absolute_url())
    client.force_login(editor_of(character))
    own = client.get(character.get_absolute_url())

    assert public.status_code == 404
    assert own.status_code == 200


def test_anonymous_visitor_is_asked_to_log_in_to_accept(client):
    character = CharacterFactory()
    publish_offer(character)

    html = client.get(character.get_absolute_url()).content.decode()

    assert "Log in to accept" in html
    assert 'name="max_fee"' not in html


def test_accepting_the_displayed_terms_creates_an_active_grant(client, user):
    # given
    character = CharacterFactory()
    offer = publish_offer(character, rev_share_bps=500)
    client.force_login(user)
    html = client.get(character.get_absolute_url()).content.decode()

    # when
    response = client.post(
        reverse("payments:offer_accept", args=[character.pk, offer.pk]),
        {
            "max_fee": _hidden_value(html, "max_fee"),
            "max_rev_share_bps": _hidden_value(html, "max_rev_share_bps"),
        },
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("licensing:my_grants")
    grant = Grant.objects.get(licensee=user)
    assert grant.status == "active"
    assert grant.offer == offer


def test_price_raised_after_the_page_was_shown_is_refused_with_the_new_terms(client, user):
    # given: the creator reads version 1, free with a 5% share
    character = CharacterFactory()
    v1 = publish_offer(character, rev_share_bps=500)
    client.force_login(user)
    html = client.get(character.get_absolute_url()).content.decode()
    stale = {
        "max_fee": _hidden_value(html, "max_fee"),
        "max_rev_share_bps": _hidden_value(html, "max_rev_share_bps"),
    }
    # ... and meanwhile the rightsholder publishes version 2 at $20.00 upfront
    editor = editor_of(character)
    v2 = services.offer_new_version(offer=v1, by=editor)
    services.offer_update_draft(
        offer=v2, by=editor, terms=v1.parsed_terms.replace(upfront_fee=2_000).to_dict()
    )
    services.offer_publish(offer=v2, by=editor)

    # when
    response = client.post(
        reverse("payments:offer_accept", args=[character.pk, v1.pk]), stale, follow=True
    )

    # then
    assert not Grant.objects.exists()
    assert response.redirect_chain[-1][0] == character.get_absolute_url()
    [message] = _messages(response)
    assert "$20.00" in message
    assert "Version 2" in message


def test_revenue_share_raised_after_the_page_was_shown_is_refused(client, user):
    character = CharacterFactory()
    v1 = publish_offer(character, rev_share_bps=500)
    editor = editor_of(character)
    v2 = services.offer_new_version(offer=v1, by=editor)
    services.offer_update_draft(
        offer=v2, by=editor, terms=v1.parsed_terms.replace(rev_share_bps=2_500).to_dict()
    )
    services.offer_publish(offer=v2, by=editor)
    client.force_login(user)

    response = client.post(
        reverse("payments:offer_accept", args=[character.pk, v1.pk]),
        {"max_fee": "0", "max_rev_share_bps": "500"},
        follow=True,
    )

    assert not Grant.objects.exists()
    [message] = _messages(response)
    assert "25%" in message


# --- dashboard ownership ------------------------------------------------------------------


@pytest.fixture
def studio_a():
    """Organization A's character with a reference image, a published offer and a
    draft offer in another series."""
    character = CharacterFactory(name="Hoshi")
    editor = editor_of(character)
    services.character_aliases_set(character=character, by=editor, aliases=["星ちゃん"])
    image = services.character_image_add(character=character, by=editor, file=_png())
    published = publish_offer(character)
    draft = services.offer_create_draft(
        character=character, by=editor, terms={"credit_text": character.rightsholder_name}
    )
    return {"character": character, "image": image, "published": published, "draft": draft}


def _dashboard_requests(a: dict) -> list[tuple[str, str, dict]]:
    character, image, published, draft = a["character"], a["image"], a["published"], a["draft"]
    return [
        ("get", reverse("licensing:character_manage", args=[character.pk]), {}),
        (
            "post",
            reverse("licensing:character_manage", args=[character.pk]),
            {"name": "Stolen", "status": "active"},
        ),
        ("get", reverse("licensing:offer_edit", args=[draft.pk]), {}),
        ("post", reverse("licensing:offer_edit", args=[draft.pk]), _offer_post_data(draft)),
        ("get", reverse("licensing:offer_edit", args=[published.pk]), {}),
        ("post", reverse("licensing:offer_preview", args=[draft.pk]), _offer_post_data(draft)),
        (
            "post",
            reverse("licensing:character_image_add", args=[character.pk]),
            {"image": _png()},
        ),
        (
            "post",
            reverse("licensing:character_image_delete", args=[character.pk, image.pk]),
            {},
        ),
        (
            "post",
            reverse("licensing:offer_create", args=[character.pk]),
            {"preset": "commercial_use"},
        ),
        ("get", reverse("licensing:offer_publish", args=[draft.pk]), {}),
        ("post", reverse("licensing:offer_publish", args=[draft.pk]), {}),
        (
            "post",
            reverse(
                "licensing:name_form_toggle",
                args=[character.pk, character.name_forms.get(text="hoshi chan").pk],
            ),
            {"enabled": "0"},
        ),
    ]


@pytest.mark.parametrize("who", ["other_organization_owner", "viewer_of_a", "random_user"])
def test_dashboard_pages_of_another_rightsholder_are_not_found(client, studio_a, who):
    # given
    if who == "other_organization_owner":
        intruder = MembershipFactory(role="owner").user
    elif who == "viewer_of_a":
        intruder = MembershipFactory(
            role="viewer", organization=studio_a["character"].owner_organization
        ).user
    else:
        intruder = UserFactory()
    client.force_login(intruder)
    before = _snapshot()

    for method, url, data in _dashboard_requests(studio_a):
        # when
        response = getattr(client, method)(url, data)

        # then
        assert response.status_code == 404, (method, url)
    assert _snapshot() == before


def test_dashboard_pages_send_anonymous_visitors_to_log_in(client, studio_a):
    before = _snapshot()
    login = reverse("account_login")

    for method, url, data in _dashboard_requests(studio_a):
        response = getattr(client, method)(url, data)

        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith(f"{login}?next="), (method, url)
    assert _snapshot() == before


def test_dashboard_lists_only_the_users_characters(client, studio_a):
    mine = CharacterFactory(name="Kuro")
    client.force_login(editor_of(mine))

    html = client.get(reverse("dashboard:overview")).content.decode()

    assert reverse("licensing:character_manage", args=[mine.pk]) in html
    assert reverse("licensing:character_manage", args=[studio_a["character"].pk]) not in html


def test_rightsholder_sees_the_derived_forms_and_switches_one_off(
    client, studio_a, django_capture_on_commit_callbacks
):
    character = studio_a["character"]
    client.force_login(editor_of(character))
    page = reverse("licensing:character_manage", args=[character.pk])

    html = client.get(page).content.decode()
    assert "How prompts may write these names" in html
    assert "hoshi chan" in html and "Romaji reading" in html

    form = character.name_forms.get(text="hoshi chan")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("licensing:name_form_toggle", args=[character.pk, form.pk]), {"enabled": "0"}
        )

    assert response.status_code == 302 and response["Location"].endswith("#forms")
    form.refresh_from_db()
    assert not form.enabled
    assert "Switch on" in client.get(page).content.decode()
    decision, _ = services.policy_screen(
        creator=UserFactory(), prompt="hoshichan", character_ids=[]
    )
    assert decision.allowed
    decision, _ = services.policy_screen(creator=UserFactory(), prompt="星ちゃん", character_ids=[])
    assert not decision.allowed


# --- registering a character ----------------------------------------------------------


CREATE = reverse("licensing:character_create")


def test_organization_manager_registers_a_character_with_aliases_and_an_image(client):
    # given
    membership = MembershipFactory(role="manager")
    client.force_login(membership.user)

    # when
    response = client.post(
        CREATE,
        {
            "owner": f"org:{membership.organization.slug}",
            "name": "Hoshi",
            "aliases": "ほしちゃん\nHoshi-chan | exact",
            "franchise": "Star Diary",
            "image": _png(),
        },
    )

    # then
    character = Character.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("licensing:character_manage", args=[character.pk])
    assert character.owner_organization == membership.organization
    assert character.kind == "character"
    assert sorted(character.aliases.values_list("text", "mode")) == [
        ("Hoshi-chan", "exact_case"),
        ("ほしちゃん", "normal"),
    ]
    assert character.images.count() == 1


def test_registration_page_offers_only_organizations_the_user_may_edit(client):
    managed = MembershipFactory(role="manager")
    viewed = MembershipFactory(role="viewer", user=managed.user)
    client.force_login(managed.user)

    html = client.get(CREATE).content.decode()

    assert f'value="org:{managed.organization.slug}"' in html
    assert f'value="org:{viewed.organization.slug}"' not in html
    assert 'value="self"' in html


def test_text_file_named_png_is_refused_next_to_the_image_field(client):
    # given
    membership = MembershipFactory(role="manager")
    client.force_login(membership.user)

    # when
    response = client.post(
        CREATE,
        {
            "owner": f"org:{membership.organization.slug}",
            "name": "Hoshi",
            "image": SimpleUploadedFile("hoshi.png", b"not an image at all", "image/png"),
        },
    )

    # then
    assert response.status_code == 400  # refused: the form again, with its errors
    errors = _field_errors(response.content.decode(), "image")
    assert errors and "valid image" in errors[0]
    assert not Character.objects.exists()


def test_image_of_a_refused_type_creates_no_character(client):
    # given: a real GIF passes the form's ImageField but not the upload validator
    membership = MembershipFactory(role="manager")
    client.force_login(membership.user)

    # when
    response = client.post(
        CREATE,
        {"owner": f"org:{membership.organization.slug}", "name": "Hoshi", "image": _gif()},
    )

    # then
    assert response.status_code == 400  # refused: the form again, with its errors
    assert _field_errors(response.content.decode(), "image") == [
        "Upload a PNG, JPEG or WebP image."
    ]
    assert not Character.objects.exists()


def test_person_registers_their_own_likeness(client, user):
    client.force_login(user)

    response = client.post(CREATE, {"owner": "self", "name": "Me", "likeness_attested": "on"})

    character = Character.objects.get()
    assert response["Location"] == reverse("licensing:character_manage", args=[character.pk])
    assert character.kind == "likeness"
    assert character.owner_user == user
    assert character.likeness_attested_at is not None


def test_likeness_without_attestation_shows_the_error_on_that_field(client, user):
    client.force_login(user)

    response = client.post(CREATE, {"owner": "self", "name": "Me"})

    assert response.status_code == 400  # refused: the form again, with its errors
    assert _field_errors(response.content.decode(), "likeness_attested") == [
        "Confirm that this likeness is your own."
    ]
    assert not Character.objects.exists()


def test_manager_renames_a_character_and_replaces_its_aliases(client):
    character = CharacterFactory(name="Hoshi")
    client.force_login(editor_of(character))

    response = client.post(
        reverse("licensing:character_manage", args=[character.pk]),
        {"name": "Hoshi Star", "aliases": "ほしちゃん", "status": "active"},
    )

    character.refresh_from_db()
    assert response.status_code == 302
    assert character.name == "Hoshi Star"
    assert list(character.aliases.values_list("text", flat=True)) == ["ほしちゃん"]


# --- offer editor -----------------------------------------------------------------------


def _checkbox_checked(html: str, name: str, value: str | None = None) -> bool:
    value_attr = f' value="{value}"' if value else ""
    pattern = rf'<input type="checkbox" name="{name}"{value_attr}[^>]*>'
    match = re.search(pattern, html)
    assert match, f"no checkbox {name!r}"
    return " checked" in match.group(0)


def test_new_offer_from_a_preset_prefills_the_editor(client):
    # given
    character = CharacterFactory()
    client.force_login(editor_of(character))

    # when
    response = client.post(
        reverse("licensing:offer_create", args=[character.pk]), {"preset": "commercial_remix"}
    )

    # then
    offer = Offer.objects.get()
    assert response["Location"] == reverse("licensing:offer_edit", args=[offer.pk])
    assert offer.status == "draft"
    assert offer.preset == "commercial_remix"
    html = client.get(response["Location"]).content.decode()
    assert re.search(r'name="rev_share_percent" value="15"', html)
    assert _checkbox_checked(html, "commercial_use")
    assert _checkbox_checked(html, "allowed_actions", "remix")
    assert not _checkbox_checked(html, "allowed_actions", "export")


def test_contradictory_terms_show_field_errors_and_leave_the_draft_unchanged(client):
    # given
    character = CharacterFactory()
    editor = editor_of(character)
    draft = services.offer_create_draft(
        character=character, by=editor, terms={"credit_text": "Studio"}, preset=""
    )
    client.force_login(editor)
    before = Offer.objects.values("terms", "updated_at", "title").get(pk=draft.pk)

    # when
    response = client.post(
        reverse("licensing:offer_edit", args=[draft.pk]),
        _offer_post_data(
            draft,
            title="Changed",
            allowed_actions=["generate", "publish"],
            remix_policy="same_terms",
            territories="ZZ",
        ),
    )

    # then
    html = response.content.decode()
    assert response.status_code == 400  # refused: the form again, with its errors
    assert _field_errors(html, "remix_policy") == [
        "A remix policy needs &#x27;remix&#x27; among the allowed actions."
    ]
    assert _field_errors(html, "territories") == ["Unknown ISO 3166 territory code(s): ZZ."]
    assert _field_errors(html, "upfront_fee") == []
    assert Offer.objects.values("terms", "updated_at", "title").get(pk=draft.pk) == before


def test_saving_then_publishing_freezes_the_terms_with_their_hash(client):
    # given
    character = CharacterFactory()
    editor = editor_of(character)
    draft = services.offer_create_draft(character=character, by=editor, terms={"credit_text": "S"})
    client.force_login(editor)
    url = reverse("licensing:offer_edit", args=[draft.pk])

    # when: save a draft, then save and publish, then confirm on the publish page
    saved = client.post(url, _offer_post_data(draft, upfront_fee="15.00", territories="jp, fr"))
    draft.refresh_from_db()
    to_confirm = client.post(url, {**_offer_post_data(draft), "publish": "1"})
    published = client.post(to_confirm["Location"])

    # then
    assert saved["Location"] == url
    assert to_confirm["Location"] == reverse("licensing:offer_publish", args=[draft.pk])
    assert published["Location"] == reverse("licensing:character_manage", args=[character.pk])
    draft.refresh_from_db()
    assert draft.status == "published"
    assert draft.upfront_fee == 1500
    assert draft.parsed_terms.territories == ("FR", "JP")
    assert draft.terms_hash == Terms.from_dict(draft.terms).content_hash()


def test_publishing_for_an_unverified_organization_shows_why_and_keeps_the_draft(client):
    character = CharacterFactory(owner_organization__verification_status="unverified")
    editor = editor_of(character)
    draft = services.offer_create_draft(character=character, by=editor, terms={"credit_text": "S"})
    client.force_login(editor)

    response = client.post(reverse("licensing:offer_publish", args=[draft.pk]))

    assert response.status_code == 400
    assert "must be verified by our staff" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert draft.terms_hash == ""


def test_opening_a_published_offer_in_the_editor_starts_a_new_draft_version(client):
    # given
    character = CharacterFactory()
    v1 = publish_offer(character)
    client.force_login(editor_of(character))

    # when
    response = client.get(reverse("licensing:offer_edit", args=[v1.pk]))

    # then
    v2 = Offer.objects.get(series=v1.series, version=2)
    assert v2.status == "draft"
    assert v2.terms == v1.terms
    assert response["Location"] == reverse("licensing:offer_edit", args=[v2.pk])
    v1.refresh_from_db()
    assert v1.status == "published"


def test_opening_an_ended_offer_in_the_editor_explains_instead_of_failing(client):
    character = CharacterFactory()
    offer = publish_offer(character)
    Offer.objects.filter(pk=offer.pk).update(status="ended")
    client.force_login(editor_of(character))

    response = client.get(reverse("licensing:offer_edit", args=[offer.pk]), follow=True)

    assert response.status_code == 200
    assert "start a new offer" in " ".join(_messages(response))
    assert Offer.objects.count() == 1


def test_preview_shows_the_summary_for_valid_terms(client):
    character = CharacterFactory()
    editor = editor_of(character)
    draft = services.offer_create_draft(character=character, by=editor, terms={"credit_text": "S"})
    client.force_login(editor)

    response = client.post(
        reverse("licensing:offer_preview", args=[draft.pk]),
        _offer_post_data(draft, commercial_use=True, rev_share_percent="15"),
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    expected = summary_points(
        draft.parsed_terms.replace(commercial_use=True, rev_share_bps=1500),
        kind=character.kind,
        rightsholder=character.rightsholder_name,
    )
    assert "<html" not in html
    for point in expected:
        assert escape(point) in html
    assert 'class="problems"' not in html


def test_preview_lists_readable_problems_for_invalid_terms(client):
    character = CharacterFactory()
    editor = editor_of(character)
    draft = services.offer_create_draft(character=character, by=editor, terms={"credit_text": "S"})
    client.force_login(editor)
    url = reverse("licensing:offer_preview", args=[draft.pk])

    contradictory = client.post(url, _offer_post_data(draft, territories="ZZ")).content.decode()
    malformed = client.post(url, _offer_post_data(draft, upfront_fee="-5")).content.decode()

    # Each problem is swapped in next to its own field, not listed in the preview.
    assert _oob_errors(contradictory, "territories") == ["Unknown ISO 3166 territory code(s): ZZ."]
    assert _oob_errors(contradictory, "upfront_fee") == []
    assert 'class="terms"' not in contradictory and 'class="problems"' not in contradictory
    assert _oob_errors(malformed, "upfront_fee") == ["A fee cannot be negative: 0 is free."]
    assert 'class="problems"' not in malformed


# --- approvals ----------------------------------------------------------------------------


@pytest.fixture
def pending_request():
    """A person's likeness offered to people they approve, and a creator's request."""
    person = UserFactory()
    likeness = proven_likeness(person, "Aiko")
    offer = publish_offer(likeness, audience="approved")
    creator = UserFactory()
    grant = services.grant_accept(
        offer=offer, by=creator, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )
    assert grant.status == "pending_approval"
    return grant


def test_likeness_owner_sees_and_approves_a_pending_request(client, pending_request):
    # given
    client.force_login(pending_request.character.owner_user)
    url = reverse("marketplace:approvals")

    # when
    page = client.get(url).content.decode()
    response = client.post(url, {"grant": pending_request.pk, "decision": "approve"})

    # then
    assert pending_request.licensee.display_name in page  # by name, not email
    assert response["Location"] == url
    pending_request.refresh_from_db()
    assert pending_request.status == "active"
    assert pending_request.activated_at is not None


def test_likeness_owner_declines_a_request_with_a_reason(client, pending_request):
    client.force_login(pending_request.character.owner_user)

    client.post(
        reverse("marketplace:approvals"),
        {"grant": pending_request.pk, "decision": "reject", "reason": "Not this time"},
    )

    pending_request.refresh_from_db()
    assert pending_request.status == "revoked"
    assert pending_request.end_reason == "Not this time"


@pytest.mark.parametrize("who", ["stranger", "licensee"])
def test_only_the_rightsholder_can_decide_a_request(client, pending_request, who):
    # given
    client.force_login(UserFactory() if who == "stranger" else pending_request.licensee)

    # when
    response = client.post(
        reverse("marketplace:approvals"), {"grant": pending_request.pk, "decision": "approve"}
    )

    # then
    assert response.status_code == 404
    pending_request.refresh_from_db()
    assert pending_request.status == "pending_approval"


def test_malformed_request_id_is_not_found(client, pending_request):
    client.force_login(pending_request.character.owner_user)

    response = client.post(
        reverse("marketplace:approvals"), {"grant": "not-a-uuid", "decision": "approve"}
    )

    assert response.status_code == 404


# --- my licences --------------------------------------------------------------------------


def test_my_licences_lists_the_users_grants_only(client, user):
    mine = grant_for(CharacterFactory(name="Hoshi"), user)
    theirs = grant_for(CharacterFactory(name="Kuro"), UserFactory())
    client.force_login(user)

    html = client.get(reverse("licensing:my_grants")).content.decode()

    assert "Hoshi" in html
    assert reverse("licensing:grant_end", args=[mine.pk]) in html
    assert "Kuro" not in html
    assert reverse("licensing:grant_end", args=[theirs.pk]) not in html


def test_licensee_ends_their_licence(client, user):
    grant = grant_for(CharacterFactory(), user)
    client.force_login(user)

    response = client.post(reverse("licensing:grant_end", args=[grant.pk]))

    assert response["Location"] == reverse("licensing:my_grants")
    grant.refresh_from_db()
    assert grant.status == "ended"
    assert grant.ended_at is not None


@pytest.mark.parametrize("who", ["stranger", "rightsholder"])
def test_another_users_licence_cannot_be_ended(client, user, who):
    character = CharacterFactory()
    grant = grant_for(character, user)
    client.force_login(UserFactory() if who == "stranger" else editor_of(character))

    response = client.post(reverse("licensing:grant_end", args=[grant.pk]))

    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.status == "active"
