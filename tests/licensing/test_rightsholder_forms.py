"""The rightsholder's forms as people use them: the offer editor in major units and
percentages (stored as minor units and basis points), its errors beside their fields,
publishing confirmed on a page of its own; the character form's wording; the approvals
page; a declined request as its creator reads it."""

import re

import pytest
from django.urls import reverse

from licensing import services
from licensing.models import Character, Offer
from marketplace.models import WorkApproval
from tests.builders import pending_approval_work
from tests.factories import (
    CharacterFactory,
    MembershipFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
    proven_likeness,
    publish_offer,
)
from tests.licensing.test_pages import _field_errors, _offer_post_data, _oob_errors

pytestmark = pytest.mark.django_db


def _draft(**terms) -> tuple[Offer, object]:
    character = CharacterFactory(name="Hoshi")
    editor = editor_of(character)
    draft = services.offer_create_draft(
        character=character, by=editor, terms={"credit_text": "Studio", **terms}
    )
    return draft, editor


def _edit(client, draft, **changes):
    return client.post(
        reverse("licensing:offer_edit", args=[draft.pk]), _offer_post_data(draft, **changes)
    )


def _input_value(html: str, name: str) -> str:
    match = re.search(rf'<input type="text" name="{name}" value="([^"]*)"', html)
    assert match, f"no text input {name!r}"
    return match.group(1)


# --- money and percentages -----------------------------------------------------------


def test_fees_are_typed_in_dollars_and_stored_in_cents_then_shown_back_formatted(client):
    # given
    draft, editor = _draft()
    client.force_login(editor)

    # when
    response = _edit(
        client,
        draft,
        currency="usd",
        upfront_fee="20.00",
        per_generation_fee="0.5",
        rev_share_percent="12.5",
        max_stack_percent="40 %",
    )

    # then: stored as minor units and basis points
    assert response.status_code == 302
    draft.refresh_from_db()
    terms = draft.parsed_terms
    assert (terms.currency, terms.upfront_fee, terms.per_generation_fee) == ("USD", 2000, 50)
    assert (terms.rev_share_bps, terms.max_stack_bps) == (1250, 4000)
    # and shown back as typed, in major units and percent, with the amount formatted
    html = client.get(response["Location"]).content.decode()
    assert _input_value(html, "upfront_fee") == "20.00"
    assert _input_value(html, "per_generation_fee") == "0.50"
    assert _input_value(html, "rev_share_percent") == "12.5"
    assert _input_value(html, "max_stack_percent") == "40"
    assert "Creators read: $20.00" in html and "Creators read: $0.50" in html


def test_yen_is_typed_without_decimals_and_a_fraction_of_a_yen_is_refused(client):
    draft, editor = _draft()
    client.force_login(editor)

    saved = _edit(client, draft, currency="JPY", upfront_fee="500", per_generation_fee="30")
    draft.refresh_from_db()
    html = client.get(saved["Location"]).content.decode()
    refused = _edit(client, draft, currency="JPY", upfront_fee="500.50")

    assert (draft.parsed_terms.upfront_fee, draft.parsed_terms.currency) == (500, "JPY")
    assert _input_value(html, "upfront_fee") == "500"
    assert "Creators read: ¥500" in html
    assert refused.status_code == 400
    assert _field_errors(refused.content.decode(), "upfront_fee") == [
        "JPY has no smaller unit: enter a whole amount, e.g. 500."
    ]
    draft.refresh_from_db()
    assert draft.parsed_terms.upfront_fee == 500


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("upfront_fee", "abc", "Enter an amount with a point for decimals"),
        ("upfront_fee", "1,000.00", "Enter an amount with a point for decimals"),
        ("upfront_fee", "-5", "A fee cannot be negative: 0 is free."),
        ("upfront_fee", "20.005", "USD has 2 decimals at most, e.g. 20.50."),
        ("upfront_fee", "2000000", "At most $1,000,000.00."),
        ("per_generation_fee", "0.001", "USD has 2 decimals at most, e.g. 20.50."),
        ("rev_share_percent", "150", "A percentage cannot be above 100."),
        ("rev_share_percent", "12.345", "Use at most two decimals, e.g. 12.5 or 12.25."),
        ("rev_share_percent", "lots", "Enter a percentage as a number, e.g. 15 or 12.5."),
        ("max_stack_percent", "-1", "A percentage cannot be negative."),
        ("currency", "XYZ", "XYZ is not a currency code: use one like USD, EUR or JPY."),
    ],
)
def test_bad_money_and_percentages_are_refused_next_to_their_field(client, field, value, error):
    draft, editor = _draft()
    client.force_login(editor)
    before = Offer.objects.values("terms", "updated_at").get(pk=draft.pk)

    response = _edit(client, draft, **{"currency": "USD", field: value})

    assert response.status_code == 400
    errors = _field_errors(response.content.decode(), field)
    assert len(errors) == 1 and errors[0].startswith(error.replace("'", "&#x27;")), errors
    assert Offer.objects.values("terms", "updated_at").get(pk=draft.pk) == before


def test_a_share_above_the_cap_is_shown_on_the_cap_field_in_percent(client):
    draft, editor = _draft()
    client.force_login(editor)

    response = _edit(client, draft, rev_share_percent="60", max_stack_percent="50")

    html = response.content.decode()
    assert response.status_code == 400
    assert _field_errors(html, "max_stack_percent") == [
        "The stack cap cannot be below this offer&#x27;s own revenue share."
    ]
    assert _field_errors(html, "rev_share_percent") == []


def test_the_live_preview_swaps_each_error_in_beside_its_field_and_the_amount_formatted(client):
    draft, editor = _draft()
    client.force_login(editor)
    url = reverse("licensing:offer_preview", args=[draft.pk])

    bad = client.post(url, _offer_post_data(draft, rev_share_percent="lots", currency="JPY"))
    good = client.post(url, _offer_post_data(draft, currency="JPY", upfront_fee="500"))

    bad_html, good_html = bad.content.decode(), good.content.decode()
    assert _oob_errors(bad_html, "rev_share_percent") == [
        "Enter a percentage as a number, e.g. 15 or 12.5."
    ]
    assert _oob_errors(bad_html, "title") == []
    assert "1 field needs a fix" in bad_html and 'class="terms"' not in bad_html
    assert "A one-time fee of ¥500." in good_html
    assert re.search(r'<output [^>]*id="shown_upfront_fee"[^>]*>Creators read: ¥500<', good_html)
    assert all(not _oob_errors(good_html, name) for name in ("upfront_fee", "currency"))


def test_the_editor_speaks_plainly_and_groups_the_terms_into_sections(client):
    draft, editor = _draft()
    client.force_login(editor)

    html = client.get(reverse("licensing:offer_edit", args=[draft.pk])).content.decode()

    for jargon in ("bps", "basis points", "Max stack", "Upstream model", ">Absolute<", "cents"):
        assert jargon not in html, jargon
    assert "Your share of each video&#x27;s earnings (%)" in html
    assert "Stays the same however many times a video is remixed" in html
    titles = re.findall(r'<span class="section-title">([^<]+)</span>', html)
    assert titles[:3] == ["Who may use it", "What creators may do", "Price and your share"]
    assert len(titles) == 8
    # publishing is confirmed on its own page, not with the browser's confirm()
    assert "data-confirm" not in html
    assert "Save and publish…" in html


def test_a_section_closed_at_first_opens_when_one_of_its_fields_has_an_error(client):
    draft, editor = _draft()
    client.force_login(editor)

    html = _edit(client, draft, territories="ZZ").content.decode()

    section = re.search(
        r"<details class=\"card editor-section\"( open)?>\s*<summary><span "
        r'class="section-title">Where and when',
        html,
    )
    assert section and section.group(1) == " open"
    limits = re.search(
        r'<details class="card editor-section"( open)?>\s*<summary><span '
        r'class="section-title">Limits',
        html,
    )
    assert limits and limits.group(1) is None


# --- publishing is confirmed on a page of its own ------------------------------------


def test_the_publish_page_shows_what_and_the_price_and_get_does_not_publish(client):
    draft, editor = _draft(upfront_fee=2000, per_generation_fee=50, rev_share_bps=1000)
    client.force_login(editor)

    response = client.get(reverse("licensing:offer_publish", args=[draft.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f"Publish “{draft.title}”?" in html
    assert "$20.00 upfront · $0.50 per video · 10% revenue share" in html
    assert "A one-time fee of $20.00." in html
    assert "can never change" in html
    assert "Publish version 1" in html
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.terms_hash == ""


def test_posting_the_publish_page_publishes(client):
    draft, editor = _draft()
    client.force_login(editor)

    response = client.post(reverse("licensing:offer_publish", args=[draft.pk]), follow=True)

    draft.refresh_from_db()
    assert draft.status == "published" and draft.terms_hash
    assert response.redirect_chain[-1][0] == reverse(
        "licensing:character_manage", args=[draft.character_id]
    )
    assert f"Version 1 of “{draft.title}” is published." in response.content.decode()


def test_the_publish_page_says_what_stops_publishing_before_the_button_is_pressed(client):
    character = CharacterFactory(owner_organization__verification_status="unverified")
    editor = editor_of(character)
    draft = services.offer_create_draft(character=character, by=editor, terms={"credit_text": "S"})
    client.force_login(editor)

    html = client.get(reverse("licensing:offer_publish", args=[draft.pk])).content.decode()

    assert "Not published: " in html and "must be verified by our staff" in html
    assert "Publish version 1" not in html
    assert "Back to editing" in html


@pytest.mark.parametrize("who", ["other_owner", "viewer", "stranger"])
def test_someone_elses_offer_has_no_publish_page(client, who):
    draft, _ = _draft()
    organization = draft.character.owner_organization
    intruder = {
        "other_owner": lambda: MembershipFactory(role="owner").user,
        "viewer": lambda: MembershipFactory(role="viewer", organization=organization).user,
        "stranger": UserFactory,
    }[who]()
    client.force_login(intruder)
    url = reverse("licensing:offer_publish", args=[draft.pk])

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_publish_page_of_a_published_version_sends_back_to_the_character(client):
    character = CharacterFactory()
    offer = publish_offer(character)
    client.force_login(editor_of(character))

    response = client.get(reverse("licensing:offer_publish", args=[offer.pk]))

    assert response["Location"] == reverse("licensing:character_manage", args=[character.pk])


# --- the character form ------------------------------------------------------------------


def test_a_studios_character_is_never_attested_as_a_likeness(client):
    membership = MembershipFactory(role="manager")
    client.force_login(membership.user)
    url = reverse("licensing:character_create")

    html = client.get(url).content.decode()
    client.post(
        url,
        {
            "owner": f"org:{membership.organization.slug}",
            "name": "Hoshi",
            "likeness_attested": "on",
        },
    )

    # The attestation sits in a block shown only while "My own likeness" is chosen.
    block = re.search(r'<div class="likeness-only">(.*?)</div>\s*</div>', html, re.S)
    assert block and 'name="likeness_attested"' in block.group(1)
    assert html.count('name="likeness_attested"') == 1
    character = Character.objects.get()
    assert character.kind == "character" and character.likeness_attested_at is None


def test_disallowed_is_a_plain_instruction_and_the_status_is_in_words(client):
    character = CharacterFactory(name="Hoshi")
    client.force_login(editor_of(character))
    manage = reverse("licensing:character_manage", args=[character.pk])

    html = client.get(manage).content.decode()
    client.post(manage, {"name": "Hoshi", "status": "active", "disallowed": "on"})
    refused = client.get(manage).content.decode()

    assert "Refuse all generations of this character" in html
    assert ">Disallowed<" not in html
    assert "Status: Active: in the catalog; licensed creators may use it." in html
    assert '<option value="draft"' not in html  # only verification makes a draft
    assert "Status: Refused: you refuse all generations of it" in refused
    character.refresh_from_db()
    assert character.disallowed


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("character", "Non-commercial remix (recommended)"),
        ("likeness", "Likeness: people I approve (recommended)"),
    ],
)
def test_the_preset_menu_starts_on_the_recommended_preset(client, kind, expected):
    if kind == "likeness":
        person = UserFactory()
        character = proven_likeness(person, "Aiko")
        client.force_login(person)
    else:
        character = CharacterFactory()
        client.force_login(editor_of(character))

    html = client.get(reverse("licensing:character_manage", args=[character.pk])).content.decode()

    menu = re.search(r'<select name="preset"[^>]*>(.*?)</select>', html, re.S).group(1)
    selected = re.search(r'<option value="([^"]+)" selected>([^<]+)</option>', menu)
    assert selected and selected.group(2) == expected
    assert "Start from a preset" in html


# --- approvals -----------------------------------------------------------------------------


@pytest.fixture
def queue():
    """A likeness owner with a video waiting for review and a licence request from a
    creator who has published two videos before."""
    person = UserFactory(display_name="Aiko Tanaka")
    likeness = proven_likeness(person, "Aiko Tanaka")
    reviewed = publish_offer(likeness, audience="approved", approval="per_work")
    maker = UserFactory(display_name="Mika")
    grant = services.grant_accept(
        offer=reviewed, by=maker, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )
    services.grant_approve(grant=grant, by=person)
    work = pending_approval_work(creator=maker, grant=grant, character=likeness, title="Waves")
    requester = UserFactory(display_name="Ken Sato", email="ken@example.com")
    past = [WorkFactory(creator=requester, title=f"Ken's video {n}") for n in range(2)]
    request = services.grant_accept(
        offer=reviewed, by=requester, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )
    return {"person": person, "work": work, "request": request, "past": past}


def test_the_approvals_page_holds_videos_and_requests_with_one_verb(client, queue):
    client.force_login(queue["person"])

    html = client.get(reverse("marketplace:approvals")).content.decode()

    assert "<h1>Approvals</h1>" in html
    assert "Licence requests" in html and "Videos to review" in html
    assert html.count('value="reject" class="secondary"') == 2
    assert html.count(">Decline</button>") == 2
    assert "Deny" not in html and "denied" not in html
    # the video is large enough to judge
    video = re.search(r'<video class="review-video"[^>]*>', html).group(0)
    assert 'width="640"' in video


def test_a_requester_is_shown_by_name_with_their_latest_videos(client, queue):
    client.force_login(queue["person"])

    html = client.get(reverse("marketplace:approvals")).content.decode()

    request = re.search(r'<li class="card licence-request">(.*?)</form>', html, re.S).group(1)
    assert '<strong class="requester">Ken Sato</strong>' in request
    assert "ken@example.com" not in request
    for work in queue["past"]:
        assert work.get_absolute_url() in request
        assert work.title.replace("'", "&#x27;") in request
    assert request.count("<img ") == 2


def test_declining_a_video_says_declined(client, queue):
    client.force_login(queue["person"])
    approval = WorkApproval.objects.get(work=queue["work"])

    response = client.post(
        reverse("marketplace:approvals"),
        {"work_approval": approval.pk, "decision": "reject", "reason": ""},
        follow=True,
    )

    assert "Declined: it stays unpublished." in response.content.decode()
    approval.refresh_from_db()
    assert approval.status != "pending"


# --- my licences: declined is not revoked ---------------------------------------------


def _declined_row(html: str, character: str) -> str:
    row = re.search(rf"<tr[^>]*>\s*<td><a [^>]*>{character}</a>.*?</tr>", html, re.S)
    assert row, f"no row for {character}"
    return row.group(0)


def test_a_declined_request_shows_as_declined_with_its_reason(client, queue):
    request = queue["request"]
    services.grant_reject(grant=request, by=queue["person"], reason="Not this time")
    client.force_login(request.licensee)

    html = client.get(reverse("licensing:my_grants")).content.decode()

    row = _declined_row(html, "Aiko Tanaka")
    assert ">Declined</span>" in row and "Reason: Not this time" in row
    assert "Revoked" not in row


def test_a_request_declined_without_a_reason_says_only_declined(client, queue):
    request = queue["request"]
    services.grant_reject(grant=request, by=queue["person"])
    client.force_login(request.licensee)

    row = _declined_row(client.get(reverse("licensing:my_grants")).content.decode(), "Aiko Tanaka")

    assert ">Declined</span>" in row
    assert "declined by the rightsholder" not in row and "Reason:" not in row


def test_a_revoked_licence_still_shows_as_revoked(client, user):
    character = CharacterFactory(name="Kuro")
    grant = grant_for(character, user, grace_days=0)
    services.grant_revoke(grant=grant, by=editor_of(character), reason="Misuse")
    client.force_login(user)

    row = _declined_row(client.get(reverse("licensing:my_grants")).content.decode(), "Kuro")

    assert ">Revoked</span>" in row and "Misuse" in row
    assert "Declined" not in row
