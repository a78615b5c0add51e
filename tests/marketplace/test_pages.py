"""The marketplace web pages: studio and check terms, the progress page, the work page
with its lineage, deleting and my works (the feed and provenance verification have their
own modules). Works are made in-process by running the pipeline's steps inline (no
worker)."""

import base64
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.html import escape

from licensing import services as licensing_services
from licensing.models import Character
from marketplace import services
from marketplace.models import GenerationRequest, Work, WorkApproval
from tests.builders import pending_approval_work
from tests.factories import (
    CharacterFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
    proven_likeness,
    publish_offer,
)
from tests.marketplace.helpers import (
    field_chunk,
    field_errors,
    make_work,
    run_pipeline,
    section,
    store_files,
)
from tests.media import fetch, media_url_of, media_urls, viewer_of
from tests.mfa import log_in_with_totp, totp_activate

pytestmark = pytest.mark.django_db

STUDIO = reverse("marketplace:studio")
CHECK = reverse("marketplace:studio_check")
MY_WORKS = reverse("marketplace:my_works")
HTMX = {"HTTP_HX_REQUEST": "true"}

REMIX_TERMS = {
    "commercial_use": True,
    "allowed_actions": ["generate", "remix", "publish"],
    "remix_policy": "same_terms",
    "rev_share_bps": 1_300,
    "upstream_model": "relative",
    "max_rating": "mature",
}


# --- helpers ------------------------------------------------------------------------------


def _split_percentages(html: str) -> list[float]:
    table = re.search(r'<table class="split">.*?</table>', html, re.S)
    assert table, "no split table on the page"
    return [float(p) for p in re.findall(r"<td>([\d.]+)%</td>", table.group(0))]


def _likeness_awaiting_approval():
    """A person's likeness offered with per-work approval, an approved creator, and a
    work of it waiting for the person's review, as the pipeline leaves it (made as rows,
    with stand-in files). Returns (person, likeness, work)."""
    person = UserFactory(display_name="Aiko Tanaka")
    likeness = proven_likeness(person, "Aiko Tanaka")
    offer = publish_offer(likeness, audience="approved", approval="per_work")
    creator = UserFactory()
    grant = licensing_services.grant_accept(
        offer=offer, by=creator, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
    )
    licensing_services.grant_approve(grant=grant, by=person)
    work = pending_approval_work(
        creator=creator, grant=grant, character=likeness, title="Aiko waves hello"
    )
    return person, likeness, store_files(work)


# --- studio -------------------------------------------------------------------------------


def test_studio_lists_only_characters_of_the_users_active_grants(client):
    # given: one active grant; others waiting for payment or approval, ended, or held by
    # someone else
    creator = UserFactory()
    active = CharacterFactory(name="Hoshi-chan")
    grant_for(active, creator)
    unpaid = CharacterFactory(name="Paid Pegasus")
    assert grant_for(unpaid, creator, upfront_fee=500).status == "pending_payment"
    unapproved = CharacterFactory(name="Approved Ape")
    assert grant_for(unapproved, creator, audience="approved").status == "pending_approval"
    ended = CharacterFactory(name="Ended Eel")
    licensing_services.grant_end(grant=grant_for(ended, creator), by=creator)
    others = CharacterFactory(name="Other Otter")
    grant_for(others, UserFactory())
    client.force_login(creator)

    # when
    response = client.get(STUDIO)

    # then
    assert response.status_code == 200
    picker = field_chunk(response.content.decode(), "characters")
    assert f'value="{active.pk}"' in picker and "Hoshi-chan" in picker
    for character in (unpaid, unapproved, ended, others):
        assert str(character.pk) not in picker
        assert character.name not in picker


def test_studio_without_grants_shows_the_empty_state_linking_to_the_catalog(client):
    # given
    client.force_login(UserFactory())

    # when
    html = client.get(STUDIO).content.decode()

    # then
    assert "You hold no active licence yet" in html
    assert f'href="{reverse("licensing:catalog")}"' in html
    assert 'name="characters"' not in html


def test_studio_post_creates_a_queued_request_and_redirects_to_its_progress(client):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    client.force_login(creator)

    # when
    response = client.post(
        STUDIO,
        {
            "prompt": "Hoshi-chan dances in a neon rain",
            "characters": [str(hoshi.pk)],
            "duration_s": 6,
            "territory": "jp",
            "rating": "all_ages",
        },
    )

    # then
    request = GenerationRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("marketplace:generation_detail", kwargs={"pk": request.pk})
    assert request.status == "queued"
    assert request.creator == creator
    assert list(request.characters.all()) == [hoshi]
    assert (request.duration_s, request.territory) == (6, "JP")


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("prompt", {"prompt": ""}),
        ("prompt", {"prompt": "   "}),
        ("duration_s", {"duration_s": 3}),
        ("duration_s", {"duration_s": 16}),
    ],
)
def test_studio_invalid_input_shows_the_error_next_to_the_field_and_creates_nothing(
    client, field, changes
):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    client.force_login(creator)
    data = {
        "prompt": "Hoshi-chan dances",
        "characters": [str(hoshi.pk)],
        "duration_s": 5,
        "rating": "all_ages",
        **changes,
    }

    # when
    response = client.post(STUDIO, data)

    # then
    assert response.status_code == 200
    assert field_errors(response.content.decode(), field)
    assert not GenerationRequest.objects.exists()


def test_studio_remix_shows_the_heading_and_a_split_summing_to_100_percent(client, signing):
    # given: a published work with two characters, each taking 13% (relative)
    maker, remixer = UserFactory(), UserFactory()
    hoshi, kuro = CharacterFactory(name="Hoshi-chan"), CharacterFactory(name="Kuro Neko")
    for character in (hoshi, kuro):
        offer = publish_offer(character, **REMIX_TERMS)
        for user in (maker, remixer):
            licensing_services.grant_accept(
                offer=offer, by=user, max_fee=0, max_rev_share_bps=1_300, max_generation_fee=0
            )
    parent = make_work(
        creator=maker, characters=[hoshi, kuro], prompt="Hoshi-chan and Kuro Neko on a beach"
    )
    client.force_login(remixer)

    # when
    response = client.get(STUDIO, {"parent": str(parent.pk)})

    # then: a remix pays each rightsholder 13% x 0.13 = 1.69% (a share of a share, one
    # level down), the parent's creator 5%, the platform 10%, and keeps 81.62%
    html = response.content.decode()
    assert response.status_code == 200
    assert "Remix “Hoshi-chan and Kuro Neko on a beach”" in html
    assert f'name="parent" value="{parent.pk}"' in html
    percentages = _split_percentages(html)
    assert percentages == [1.69, 1.69, 5, 10, 81.62]
    assert sum(percentages) == 100
    # and: checking the remix's terms allows it and shows the same split
    checked = _check(client, prompt="Hoshi-chan surfs", parent=str(parent.pk)).content.decode()
    assert 'data-decision="allowed"' in checked
    assert _split_percentages(checked) == percentages
    # and: the finished remix's own page shows exactly the split the studio promised
    remix = make_work(creator=remixer, parent=parent, prompt="Hoshi-chan surfs")
    assert all(lic.inherited for lic in remix.licenses.all())
    page = client.get(remix.get_absolute_url()).content.decode()
    assert _split_percentages(page) == percentages


def test_studio_remix_of_an_unpublished_work_is_404(client):
    # given: a work waiting for its likeness owner's approval, seen by its own creator
    _, _, work = _likeness_awaiting_approval()
    client.force_login(work.creator)

    # when
    response = client.get(STUDIO, {"parent": str(work.pk)})

    # then
    assert work.status == "pending_approval"
    assert response.status_code == 404


# A well-formed id that names no work (fixed: pytest-xdist's processes must collect the same ids).
@pytest.mark.parametrize("parent", ["0b4c4a8e-7c1e-4c43-9a53-2f8f5f3f0d11", "not-a-work-id"])
def test_studio_remix_of_an_unknown_work_is_404(client, parent):
    # given
    client.force_login(UserFactory())

    # when
    response = client.get(STUDIO, {"parent": parent})

    # then
    assert response.status_code == 404


# --- check terms --------------------------------------------------------------------------


def _check(client, **data):
    return client.post(CHECK, {"duration_s": 5, "rating": "all_ages", **data}, **HTMX)


def test_check_terms_allows_a_licensed_prompt(client):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    client.force_login(creator)

    # when
    response = _check(client, prompt="Hoshi-chan waters the garden", characters=[str(hoshi.pk)])

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-decision="allowed"' in html
    assert "<html" not in html
    assert not GenerationRequest.objects.exists()


def test_check_terms_refuses_an_unlicensed_character_named_by_a_japanese_alias(client):
    # given: Hoshi-chan, known also as ほしちゃん, whom the creator holds no licence for
    creator = UserFactory()
    kuro = CharacterFactory(name="Kuro Neko")
    grant_for(kuro, creator)
    hoshi = CharacterFactory(name="Hoshi-chan")
    publish_offer(hoshi)
    licensing_services.character_aliases_set(
        character=hoshi, by=editor_of(hoshi), aliases=["ほしちゃん"]
    )
    client.force_login(creator)

    # when
    response = _check(client, prompt="Kuro Neko と ほしちゃん が踊る", characters=[str(kuro.pk)])

    # then
    html = response.content.decode()
    assert 'data-decision="refused"' in html
    reasons = section(html, '<ul class="outcome-list">', "</ul>")
    assert escape("You don't have a licence for Hoshi-chan yet.") in reasons
    assert f'href="{hoshi.get_absolute_url()}">Get a licence for Hoshi-chan</a>' in reasons
    assert "Kuro Neko" not in reasons
    assert not GenerationRequest.objects.exists()


def test_check_terms_refuses_a_banned_category_in_plain_words(client):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator, banned_categories=["violence"])
    client.force_login(creator)

    # when
    response = _check(
        client, prompt="Hoshi-chan starts a bloody massacre", characters=[str(hoshi.pk)]
    )

    # then
    html = response.content.decode()
    assert 'data-decision="refused"' in html
    reasons = section(html, '<ul class="outcome-list">', "</ul>")
    assert "banned_categories" not in html
    assert "Hoshi-chan may not appear in violence" in reasons
    assert 'href="#id_prompt">Change the prompt</a>' in reasons
    assert not GenerationRequest.objects.exists()


def test_check_terms_lists_the_problems_of_invalid_input_instead_of_a_decision(client):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    client.force_login(creator)

    # when
    response = _check(client, prompt="", characters=[str(hoshi.pk)], duration_s=16)

    # then
    problems = re.findall(r"<li>(.*?)</li>", response.content.decode())
    assert problems == [
        "Prompt: This field is required.",
        "Duration (seconds): The Cocreate (local) renderer makes videos of 4 to 15 seconds.",
    ]
    assert "data-decision" not in response.content.decode()


def test_check_terms_without_a_character_says_to_choose_one_as_generate_would(client):
    # given
    creator = UserFactory()
    grant_for(CharacterFactory(name="Hoshi-chan"), creator)
    client.force_login(creator)

    # when
    checked = _check(client, prompt="A quiet garden")
    generated = client.post(
        STUDIO, {"prompt": "A quiet garden", "duration_s": 5, "rating": "all_ages"}
    )

    # then
    message = "Choose at least one character you hold a licence for."
    assert f"<li>Characters: {message}</li>" in checked.content.decode()
    assert "data-decision" not in checked.content.decode()
    assert field_errors(generated.content.decode(), "characters") == [message]
    assert not GenerationRequest.objects.exists()


def test_studio_post_without_any_grant_shows_why_above_the_form(client):
    # given: nothing licensed, so there is no picker to show the error next to
    client.force_login(UserFactory())

    # when
    response = client.post(
        STUDIO, {"prompt": "A quiet garden", "duration_s": 5, "rating": "all_ages"}
    )

    # then
    html = response.content.decode()
    assert (
        '<div class="message error" role="alert">'
        "Choose at least one character you hold a licence for.</div>"
    ) in html
    assert not GenerationRequest.objects.exists()


# --- progress -----------------------------------------------------------------------------


def _request(creator, character, prompt="Hoshi-chan dances") -> GenerationRequest:
    return services.generation_request_create(
        creator=creator, prompt=prompt, character_ids=[character.pk], duration_s=4
    )


def test_progress_page_shows_the_creator_the_status_and_percentage(client):
    # given: a request checked and charged, now rendering
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    request = _request(creator, hoshi)
    services.generation_check(request_id=request.pk)
    client.force_login(creator)

    # when
    response = client.get(request.get_absolute_url())

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert 'data-status="rendering"' in html and ">Rendering</span>" in html
    assert '<progress max="100" value="10"' in html and "10%" in html
    assert f'hx-get="{request.get_absolute_url()}"' in html


def test_progress_page_of_another_users_request_is_404(client):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    request = _request(creator, hoshi)
    client.force_login(UserFactory())

    # when
    response = client.get(request.get_absolute_url())

    # then
    assert response.status_code == 404


def test_progress_htmx_request_gets_only_the_polling_fragment(client):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    request = _request(creator, hoshi)
    client.force_login(creator)

    # when
    response = client.get(request.get_absolute_url(), **HTMX)

    # then
    html = response.content.decode().strip()
    assert html.startswith('<div id="progress"')
    assert "<html" not in html and "site-header" not in html
    assert 'hx-trigger="every 1s"' in html
    assert 'data-status="queued"' in html


def test_progress_fragment_of_a_published_request_stops_polling_and_shows_the_video(
    client, signing
):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    work = make_work(creator=creator, characters=[hoshi], prompt="Hoshi-chan dances")
    client.force_login(creator)

    # when
    response = client.get(work.request.get_absolute_url(), **HTMX)

    # then
    html = response.content.decode()
    assert work.status == "published"
    assert 'data-status="published"' in html and ">Published</span>" in html
    assert "<progress" not in html  # finished: no bar left at any percentage
    assert "hx-get" not in html and "hx-trigger" not in html
    # and: the video is on a URL signed for its creator, which plays
    video = media_url_of(media_urls(html), work.video.name)
    assert f'<video src="{escape(video)}"' in html
    assert viewer_of(video) == "public"  # published: the same URL for everyone
    response = fetch(client, video)
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    assert response.body == work.video.read()
    assert f'href="{work.get_absolute_url()}"' in html


def test_progress_page_of_a_refused_request_says_once_what_to_do_without_a_bar(client):
    # given: a prompt naming a character the creator holds no licence for
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    publish_offer(CharacterFactory(name="Kuro Neko"))
    request = _request(creator, hoshi, prompt="Hoshi-chan chases Kuro Neko")
    request = run_pipeline(request_id=request.pk)
    client.force_login(creator)

    # when
    response = client.get(request.get_absolute_url())

    # then
    html = response.content.decode()
    kuro = Character.objects.get(name="Kuro Neko")
    assert request.status == "refused"
    assert 'data-status="refused"' in html and "hx-get" not in html
    alert = section(html, '<div class="outcome" role="alert">', "</div>")
    assert "This video was not made" in alert
    assert html.count(escape("You don't have a licence for Kuro Neko yet.")) == 1
    assert f'href="{kuro.get_absolute_url()}">Get a licence for Kuro Neko</a>' in alert
    # and: no bar stuck at 5%, no term name, no second copy of the engine's message
    assert "<progress" not in html and "5%" not in html
    assert "grant" not in alert.lower() and "<strong>" not in alert
    assert escape(request.reason) not in html


# --- work page ----------------------------------------------------------------------------


def test_work_page_shows_licences_split_and_lineage_both_ways(client, signing):
    # given: a chain a ← b ← c of remixes by three creators
    hoshi = CharacterFactory(name="Hoshi-chan")
    offer = publish_offer(hoshi, **REMIX_TERMS)
    makers = [UserFactory(display_name=f"Maker {n}") for n in range(3)]
    for maker in makers:
        licensing_services.grant_accept(
            offer=offer, by=maker, max_fee=0, max_rev_share_bps=1_300, max_generation_fee=0
        )
    a = make_work(creator=makers[0], characters=[hoshi], prompt="Hoshi-chan on a beach")
    b = make_work(creator=makers[1], parent=a, prompt="Hoshi-chan surfs the beach")
    c = make_work(creator=makers[2], parent=b, prompt="Hoshi-chan sails at night")

    # when
    html = client.get(b.get_absolute_url()).content.decode()

    # then: the licence with its rightsholder, and the split among the three parties
    licences = section(html, "<h2>Licences and credits</h2>", "</ul>")
    assert hoshi.get_absolute_url() in licences and "Hoshi-chan" in licences
    assert escape(hoshi.rightsholder_name) in licences
    split = section(html, '<table class="split">', "</table>")
    assert escape(hoshi.rightsholder_name) in split and "Maker 1" in split
    assert sum(_split_percentages(html)) == 100
    # and: its parent above it, its remix below it
    lineage = section(html, "<h2>Lineage</h2>")
    ancestors = section(lineage, "Remix of", "</ol>")
    descendants = section(lineage, "Remixed as", "</ul>")
    assert a.get_absolute_url() in ancestors and c.get_absolute_url() not in ancestors
    assert c.get_absolute_url() in descendants and a.get_absolute_url() not in descendants
    # and: the end of the chain lists both ancestors, nearest first
    tail = client.get(c.get_absolute_url()).content.decode()
    chain = section(tail, "Remix of", "</ol>")
    assert chain.index(b.get_absolute_url()) < chain.index(a.get_absolute_url())
    assert "Remixed as" not in tail


def test_work_awaiting_approval_is_hidden_from_strangers_but_shown_to_the_likeness_owner(client):
    # given
    person, _, work = _likeness_awaiting_approval()

    # when
    anonymous = client.get(work.get_absolute_url())
    client.force_login(UserFactory())
    stranger = client.get(work.get_absolute_url())
    client.force_login(person)
    owner = client.get(work.get_absolute_url())

    # then
    assert work.status == "pending_approval"
    assert WorkApproval.objects.filter(work=work, status="pending").exists()
    assert (anonymous.status_code, stranger.status_code) == (404, 404)
    assert owner.status_code == 200
    assert "Waiting for approval" in owner.content.decode()


def test_deleted_work_page_is_404(client):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant = grant_for(hoshi, creator)
    work = store_files(WorkFactory(creator=creator, grants=[grant], title="Hoshi-chan dances"))
    services.work_delete(work=work, by=creator)

    # when
    client.force_login(creator)
    response = client.get(work.get_absolute_url())

    # then
    assert response.status_code == 404


# --- deleting -----------------------------------------------------------------------------


def test_likeness_owner_deletes_a_work_awaiting_approval(
    client, django_capture_on_commit_callbacks
):
    # given
    person, _, work = _likeness_awaiting_approval()
    video, poster = Path(work.video.path), Path(work.poster.path)
    assert video.exists() and poster.exists()
    client.force_login(person)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("marketplace:work_delete", kwargs={"pk": work.pk}))

    # then
    assert response.status_code == 302
    work.refresh_from_db()
    assert work.status == "deleted"
    assert not video.exists() and not poster.exists()
    assert work.request.status == "refused"
    assert work.request.reason == "The video was deleted before it was approved."


def test_deleting_from_the_approvals_queue_returns_there_and_empties_it(client):
    # given: the person's approvals queue shows the waiting video, with a delete button
    person, _, work = _likeness_awaiting_approval()
    client.force_login(person)
    queue = reverse("marketplace:approvals")
    assert "Delete video" in client.get(queue).content.decode()

    # when: they delete it from the queue, which asks to come back to itself
    response = client.post(
        reverse("marketplace:work_delete", kwargs={"pk": work.pk}), {"next": queue}
    )

    # then: they are back on the queue, and nothing is left to review
    assert response.status_code == 302 and response.url == queue
    html = client.get(queue).content.decode()
    assert "No videos are waiting for your review." in html
    assert set(work.approvals.values_list("status", flat=True)) == {"withdrawn"}


def test_delete_ignores_a_next_address_on_another_site(client):
    person, _, work = _likeness_awaiting_approval()
    client.force_login(person)
    response = client.post(
        reverse("marketplace:work_delete", kwargs={"pk": work.pk}),
        {"next": "https://evil.example/phish"},
    )
    assert response.status_code == 302 and response.url == reverse("marketplace:my_works")


@pytest.mark.parametrize("pending", [False, True], ids=["published", "awaiting_approval"])
def test_stranger_cannot_delete_a_work(client, pending):
    # given
    if pending:
        _, _, work = _likeness_awaiting_approval()
    else:
        creator = UserFactory()
        hoshi = CharacterFactory(name="Hoshi-chan")
        grant = grant_for(hoshi, creator)
        work = store_files(WorkFactory(creator=creator, grants=[grant], title="Hoshi-chan dances"))
    before = (work.status, work.request.status)
    client.force_login(UserFactory())

    # when
    response = client.post(reverse("marketplace:work_delete", kwargs={"pk": work.pk}))

    # then
    assert response.status_code == 404
    work = Work.objects.select_related("request").get(pk=work.pk)
    assert (work.status, work.request.status) == before
    assert Path(work.video.path).exists()


def test_creator_deletes_their_own_published_work(client, django_capture_on_commit_callbacks):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant = grant_for(hoshi, creator)
    work = store_files(WorkFactory(creator=creator, grants=[grant], title="Hoshi-chan dances"))
    client.force_login(creator)
    page = client.get(work.get_absolute_url()).content.decode()
    delete_url = reverse("marketplace:work_delete", kwargs={"pk": work.pk})
    assert f'action="{delete_url}"' in page

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(delete_url)

    # then
    assert response.status_code == 302 and response.url == MY_WORKS
    work.refresh_from_db()
    assert work.status == "deleted"
    assert not Path(work.video.path).exists()
    assert work.request.status == "published"


def test_staff_sees_the_delete_button_and_deletes_a_published_work(
    client, staff, django_capture_on_commit_callbacks
):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant = grant_for(hoshi, creator)
    work = store_files(WorkFactory(creator=creator, grants=[grant], title="Hoshi-chan dances"))
    delete_url = reverse("marketplace:work_delete", kwargs={"pk": work.pk})
    log_in_with_totp(client, staff, secret=totp_activate(staff))

    # when
    page = client.get(work.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(delete_url)

    # then
    assert f'action="{delete_url}"' in page
    work.refresh_from_db()
    assert work.status == "deleted"


# --- my works -----------------------------------------------------------------------------


def test_my_works_lists_the_users_requests_with_their_statuses(client):
    # given: one request queued, one refused; and someone else's
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    publish_offer(CharacterFactory(name="Kuro Neko"))
    queued = _request(creator, hoshi, prompt="Hoshi-chan waits in line")
    refused = run_pipeline(
        request_id=_request(creator, hoshi, prompt="Hoshi-chan chases Kuro Neko").pk
    )
    _request(UserFactory(), hoshi, prompt="Somebody else's video")
    client.force_login(creator)

    # when
    html = client.get(MY_WORKS).content.decode()

    # then
    rows = re.findall(
        r'<a href="([^"]+)"><strong>(.*?)</strong></a>\s*<p class="small">'
        r'<span class="badge gen-(\w+)">([^<]+)</span>',
        html,
    )
    assert rows == [
        (refused.get_absolute_url(), "Hoshi-chan chases Kuro Neko", "refused", "Not made"),
        (queued.get_absolute_url(), "Hoshi-chan waits in line", "queued", "Being made"),
    ]
    assert "Somebody else" not in html
    assert "Videos showing your likeness" not in html


def test_my_works_shows_videos_of_the_users_likeness(client):
    # given
    person, _, work = _likeness_awaiting_approval()
    client.force_login(person)

    # when
    html = client.get(MY_WORKS).content.decode()

    # then
    likeness = section(html, "Videos showing your likeness")
    assert work.get_absolute_url() in likeness
    assert "Waiting for approval" in likeness
    assert reverse("marketplace:work_delete", kwargs={"pk": work.pk}) in likeness


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!!",
        base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|not-a-uuid").decode(),
        base64.urlsafe_b64encode(
            b"2026-01-01T00:00:00|00000000-0000-0000-0000-000000000000"
        ).decode(),
        base64.urlsafe_b64encode(b"yesterday|00000000-0000-0000-0000-000000000000").decode(),
    ],
)
def test_a_malformed_feed_cursor_starts_from_the_top_instead_of_failing(client, cursor):
    response = client.get(reverse("marketplace:feed"), {"cursor": cursor})

    assert response.status_code == 200


def test_an_offers_total_works_cap_counts_published_works(signing):
    # given: an offer allowing two works in all, across every licensee, and a third
    # request queued while only one work exists
    hoshi = CharacterFactory(name="Hoshi-chan")
    first, second = UserFactory(), UserFactory()
    offer = publish_offer(hoshi, max_works=2)
    for user in (first, second):
        licensing_services.grant_accept(
            offer=offer, by=user, max_fee=0, max_rev_share_bps=0, max_generation_fee=0
        )
    make_work(creator=first, characters=[hoshi], prompt="Hoshi-chan one")
    queued = services.generation_request_create(
        creator=first, prompt="Hoshi-chan three", character_ids=[hoshi.pk], duration_s=4
    )
    make_work(creator=second, characters=[hoshi], prompt="Hoshi-chan two")

    # when: the queued request is checked
    run_pipeline(request_id=queued.pk)

    # then: refused by the cap, naming it
    queued.refresh_from_db()
    assert queued.status == "refused"
    assert queued.reasons[0]["term"] == "max_works"
    # and a request made now is refused at once (409), naming the cap
    with pytest.raises(licensing_services.CapReached) as refused:
        services.generation_request_create(
            creator=second, prompt="Hoshi-chan four", character_ids=[hoshi.pk], duration_s=4
        )
    assert (refused.value.code, refused.value.status_code) == ("cap_works", 409)
    assert "limit of 2 published works" in refused.value.detail
