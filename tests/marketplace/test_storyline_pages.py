"""Storyline pages: the list, a storyline with its ranked takes and makers (a query
count that does not grow with its takes), the watch view, the studio's "Make a take",
the rightsholder's form, close and feature (others: 404), the character page's link
and the dashboard's storyline section."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace import services
from marketplace.models import GenerationRequest, Storyline
from tests.builders import storyline_opened
from tests.factories import (
    CharacterFactory,
    GrantFactory,
    OfferFactory,
    UserFactory,
    WorkFactory,
    editor_of,
)
from tests.marketplace.helpers import store_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def hoshi():
    return CharacterFactory(name="Hoshi-chan")


@pytest.fixture
def offer(hoshi):
    return OfferFactory(
        character=hoshi, title="Star Diary remix", allowed_actions=["generate", "remix", "publish"]
    )


@pytest.fixture
def owner(hoshi):
    return editor_of(hoshi)


@pytest.fixture
def storyline(hoshi, offer, owner):
    opening = WorkFactory(creator=owner, title="The stars fall", published_at=timezone.now())
    store_files(opening)
    return storyline_opened(hoshi, offer=offer, opening=opening, max_take_s=8)


def _takes(storyline, n):
    now = timezone.now()
    return [
        store_files(
            WorkFactory(
                creator=UserFactory(display_name=f"Maker {i}"),
                title=f"Take {i}",
                storyline=storyline,
                parent=storyline.opening,
                published_at=now - timedelta(hours=i),
            )
        )
        for i in range(n)
    ]


def _take_titles(html):
    pattern = r'<li class="card work-card take-card"[^>]*>.*?<strong>([^<]+)</strong>'
    return re.findall(pattern, html, re.S)


def test_the_list_shows_open_storylines_only(client, hoshi, offer, storyline, owner):
    # given
    closed = storyline_opened(hoshi, offer=offer, title="Closed one")
    closed.status, closed.closed_at = "closed", timezone.now()
    closed.save()
    storyline_opened(hoshi, offer=offer, title="Long over", days=(-9, -2))

    # when
    html = client.get(reverse("marketplace:storyline_list")).content.decode()

    # then
    assert "The night the stars fell" in html
    assert "Closed one" not in html and "Long over" not in html


def test_the_storyline_page_shows_the_beat_rules_and_ranked_takes_with_makers(client, storyline):
    # given
    takes = _takes(storyline, 3)
    for _ in range(3):
        services.like_work(work=takes[2], user=UserFactory())

    # when
    response = client.get(storyline.get_absolute_url())

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Every star falls into the harbour." in html
    assert "Takes last at most 8 seconds." in html
    assert "Star Diary remix" in html
    assert _take_titles(html) == ["Take 2", "Take 0", "Take 1"]
    assert "by Maker 2" in html
    assert "3 likes · 0 remixes · 2\xa0hours ago" in html
    assert f'href="/studio/?storyline={storyline.pk}"' in html
    assert "Close the storyline" not in html  # not the owner


def test_the_storyline_page_queries_do_not_grow_with_its_takes(client, storyline):
    # given
    _takes(storyline, 1)
    with CaptureQueriesContext(connection) as few:
        client.get(storyline.get_absolute_url())
    _takes(storyline, 6)

    # when
    with CaptureQueriesContext(connection) as many:
        html = client.get(storyline.get_absolute_url()).content.decode()

    # then
    assert len(_take_titles(html)) == 7
    assert len(many) == len(few)


def test_the_watch_view_plays_the_opening_then_the_takes(client, storyline):
    # given
    _takes(storyline, 2)

    # when
    html = client.get(reverse("marketplace:storyline_watch", args=[storyline.pk])).content.decode()

    # then
    ids = re.findall(r'<article class="feed-item" data-work="([0-9a-f-]+)"', html)
    assert ids[0] == str(storyline.opening_id) and len(ids) == 3
    assert "The opening, by" in html


def test_unknown_storyline_is_404(client):
    assert (
        client.get(
            reverse("marketplace:storyline_detail", args=["00000000-0000-4000-8000-000000000000"])
        ).status_code
        == 404
    )


def test_others_cannot_edit_close_or_feature_it(client, storyline):
    # given
    take = _takes(storyline, 1)[0]
    client.force_login(UserFactory())

    # when / then
    edit = reverse("marketplace:storyline_edit", args=[storyline.pk])
    close = reverse("marketplace:storyline_close", args=[storyline.pk])
    assert client.get(edit).status_code == 404
    assert client.post(close).status_code == 404
    feature = reverse("marketplace:storyline_feature", args=[storyline.pk, take.pk])
    assert client.post(feature).status_code == 404
    storyline.refresh_from_db()
    assert storyline.status == "open" and not storyline.featured.exists()


def test_the_owner_features_a_take_and_closes_the_storyline(client, storyline, owner):
    # given
    take = _takes(storyline, 2)[1]
    client.force_login(owner)

    # when
    client.post(reverse("marketplace:storyline_feature", args=[storyline.pk, take.pk]))
    html = client.get(storyline.get_absolute_url()).content.decode()

    # then: featured first
    assert _take_titles(html)[0] == "Take 1" and "Featured" in html

    # when
    response = client.post(reverse("marketplace:storyline_close", args=[storyline.pk]))

    # then
    assert response.status_code == 302
    storyline.refresh_from_db()
    assert storyline.status == "closed"
    html = client.get(storyline.get_absolute_url()).content.decode()
    assert "Make a take" not in html and "closed to new takes" in html


def test_the_owner_opens_a_storyline_with_the_form(client, hoshi, offer, owner):
    # given
    client.force_login(owner)
    now = timezone.now()
    data = {
        "title": "Lanterns",
        "premise": "Hoshi-chan lights the lanterns.",
        "cast": [str(offer.pk)],
        "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "max_take_s": "6",
        "join_policy": "licensed",
    }

    # when
    response = client.post(reverse("marketplace:storyline_new"), data)

    # then
    storyline = Storyline.objects.get(title="Lanterns")
    assert response.status_code == 302 and response["Location"] == storyline.get_absolute_url()
    assert storyline.max_take_s == 6 and storyline.cast.get().offer == offer


def test_bad_form_input_is_a_400_with_the_reason_and_nothing_made(client, offer, owner):
    # given
    client.force_login(owner)
    now = timezone.now()
    someone_elses = OfferFactory(character=CharacterFactory())

    # when
    backwards = client.post(
        reverse("marketplace:storyline_new"),
        {
            "title": "Backwards",
            "premise": "x",
            "cast": [str(offer.pk)],
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "max_take_s": "6",
            "join_policy": "none",
        },
    )
    not_mine = client.post(
        reverse("marketplace:storyline_new"),
        {
            "title": "Theirs",
            "premise": "x",
            "cast": [str(someone_elses.pk)],
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "max_take_s": "6",
            "join_policy": "none",
        },
    )

    # then
    assert backwards.status_code == 400
    assert "must end after it starts" in backwards.content.decode()
    assert not_mine.status_code == 400
    assert not Storyline.objects.exists()


def test_the_owner_edits_the_rules(client, storyline, owner):
    # given
    client.force_login(owner)

    # when
    response = client.post(
        reverse("marketplace:storyline_edit", args=[storyline.pk]),
        {
            "title": "The night the stars fell, again",
            "premise": "Again.",
            "ends_at": (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "max_take_s": "5",
            "join_policy": "none",
        },
    )

    # then
    assert response.status_code == 302
    storyline.refresh_from_db()
    assert (storyline.title, storyline.max_take_s) == ("The night the stars fell, again", 5)


def test_make_a_take_opens_the_studio_as_a_remix_of_the_opening(client, storyline, hoshi, offer):
    # given
    creator = UserFactory()
    GrantFactory(offer=offer, licensee=creator)
    client.force_login(creator)

    # when
    html = client.get(reverse("marketplace:studio") + f"?storyline={storyline.pk}").content.decode()

    # then
    assert "A take of “The night the stars fell”" in html
    assert f'name="storyline" value="{storyline.pk}"' in html
    assert f'value="{storyline.opening_id}"' in html  # the parent
    assert re.search(rf'value="{hoshi.pk}"\s+checked', html)


def test_a_take_the_rules_refuse_shows_why_in_the_studio_and_makes_nothing(
    client, storyline, hoshi, offer
):
    # given
    creator = UserFactory()
    GrantFactory(offer=offer, licensee=creator)
    client.force_login(creator)

    # when: longer than the storyline allows
    response = client.post(
        reverse("marketplace:studio"),
        {
            "prompt": "Hoshi-chan gathers the stars",
            "characters": [str(hoshi.pk)],
            "duration_s": "10",
            "rating": "all_ages",
            "backend": "local",
            "parent": str(storyline.opening_id),
            "storyline": str(storyline.pk),
        },
    )

    # then
    assert response.status_code == 200
    assert "at most 8 seconds" in response.content.decode()
    assert not GenerationRequest.objects.filter(creator=creator).exists()


@pytest.mark.parametrize(
    ("duration", "decision", "words"),
    [("10", "refused", "at most 8 seconds"), ("6", "allowed", "The licences allow this")],
)
def test_check_terms_for_a_take_also_checks_the_storylines_rules(
    client, storyline, hoshi, offer, duration, decision, words
):
    # given
    creator = UserFactory()
    GrantFactory(offer=offer, licensee=creator)
    client.force_login(creator)

    # when: "Check terms" with the studio form of a take (its hidden storyline field)
    response = client.post(
        reverse("marketplace:studio_check"),
        {
            "prompt": "Hoshi-chan gathers the stars",
            "characters": [str(hoshi.pk)],
            "duration_s": duration,
            "rating": "all_ages",
            "backend": "local",
            "parent": str(storyline.opening_id),
            "storyline": str(storyline.pk),
        },
        HTTP_HX_REQUEST="true",
    )

    # then: the licences alone would allow both; the storyline refuses the long one
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-decision="{decision}"' in html
    assert words in html
    assert not GenerationRequest.objects.filter(creator=creator).exists()


def test_the_character_page_links_its_open_storylines(client, storyline, hoshi):
    # when
    html = client.get(
        reverse("marketplace:character_works", args=[hoshi.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()

    # then
    assert "Storylines with Hoshi-chan" in html
    assert storyline.get_absolute_url() in html


def test_the_dashboard_shows_the_owner_its_storylines_takes_and_refusals(
    client, storyline, owner, hoshi, offer
):
    # given: two takes and one refused request
    _takes(storyline, 2)
    GenerationRequest.objects.create(
        creator=UserFactory(),
        prompt="late",
        seed=1,
        storyline=storyline,
        status="refused",
        reasons=[{"code": "storyline_ended", "severity": "refuse"}],
    )
    client.force_login(owner)

    # when
    html = client.get(reverse("dashboard:overview")).content.decode()

    # then
    assert 'id="storylines"' in html
    assert "The night the stars fell" in html
    assert "2 published takes in all" in html
    assert "storyline ended: 1" in html
