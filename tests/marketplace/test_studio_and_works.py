"""The studio as a creator meets it (characters on cards, a remix's characters ticked in
advance, the cost before generating, the country from a list, a refused request to
change) and My works as a grid of their videos with what each did."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from core.money import format_minor
from marketplace import services
from marketplace.models import GenerationRequest
from payments import selectors_stats
from tests.builders import claim_filed, tip_settled
from tests.factories import (
    CharacterFactory,
    UserFactory,
    WorkFactory,
    editor_of,
    grant_for,
    publish_offer,
)
from tests.marketplace.helpers import run_pipeline, section

pytestmark = pytest.mark.django_db

STUDIO = reverse("marketplace:studio")
MY_WORKS = reverse("marketplace:my_works")
REMIX = {"allowed_actions": ["generate", "remix", "publish"], "commercial_use": True}


def _card(html: str, character) -> str:
    """The markup of one character's card in the studio."""
    cards = re.findall(r'<(?:label|div) class="pick-card.*?</(?:label|div)>', html, re.S)
    matching = [c for c in cards if character.name in c]
    assert matching, f"no card for {character.name}"
    return matching[0]


def _cost_lines(html: str) -> list[tuple[str, str]]:
    table = section(html, '<table class="cost-table">', "</table>")
    return [
        (label, escape(amount))
        for label, amount in re.findall(
            r'<tr><(?:td|th scope="row")>(.*?)</(?:td|th)><td class="num">(.*?)</td>', table
        )
    ]


def test_a_remix_ticks_the_parents_characters_and_shows_the_cost_before_generating(client):
    # given: a work with Hoshi-chan (licensed to the remixer, 50 cents a video) and Kuro
    # Neko (not licensed to them: from $20 once, then 25 cents a video)
    maker, remixer = UserFactory(), UserFactory()
    hoshi, kuro = CharacterFactory(name="Hoshi-chan"), CharacterFactory(name="Kuro Neko")
    parent = WorkFactory(
        creator=maker,
        grants=[
            grant_for(hoshi, maker, **REMIX),
            grant_for(kuro, maker, upfront_fee=5_000, **REMIX),
        ],
        title="On the beach",
    )
    grant_for(hoshi, remixer, per_generation_fee=50, **REMIX)
    publish_offer(kuro, upfront_fee=2_000, per_generation_fee=25, **REMIX)
    publish_offer(kuro, upfront_fee=9_000, **REMIX)  # dearer: not the "from" price
    client.force_login(remixer)

    # when
    html = client.get(STUDIO, {"parent": str(parent.pk)}).content.decode()

    # then: Hoshi-chan is a card ticked in advance; Kuro Neko leads to its licence
    hoshi_card = _card(html, hoshi)
    assert f'name="characters" value="{hoshi.pk}" checked' in hoshi_card
    assert f"{escape(format_minor(50, 'USD'))} per video" in hoshi_card
    kuro_card = _card(html, kuro)
    assert 'name="characters"' not in kuro_card
    assert f'href="{kuro.get_absolute_url()}">Get a licence ({format_minor(2_000, "USD")})' in (
        kuro_card
    )
    # and: the cost is listed before generating, formatted as money, with its total
    assert _cost_lines(html) == [
        ("Hoshi-chan, per video", escape(format_minor(50, "USD"))),
        ("Licence for Kuro Neko (once)", escape(format_minor(2_000, "USD"))),
        ("Kuro Neko, per video", escape(format_minor(25, "USD"))),
        ("Total before generating", escape(format_minor(2_075, "USD"))),
    ]
    assert "$20.75" in html


def test_a_new_video_ticks_nothing_and_the_country_is_chosen_from_a_list(client):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    client.force_login(creator)

    # when
    html = client.get(STUDIO).content.decode()

    # then
    assert f'name="characters" value="{hoshi.pk}">' in _card(html, hoshi)
    select = section(html, '<select name="territory"', "</select>")
    assert '<option value="JP">Japan</option>' in select
    assert '<option value="" selected>Choose your country</option>' in select
    assert len(re.findall(r"<option value=\"[A-Z]{2}\"", select)) >= 240
    assert "No fees: the licences you chose ask nothing per video." in html


def test_a_country_outside_the_list_is_refused_next_to_the_field(client):
    # given
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    client.force_login(creator)

    # when
    response = client.post(
        STUDIO,
        {
            "prompt": "Hoshi-chan",
            "characters": [str(hoshi.pk)],
            "duration_s": 5,
            "territory": "XX",
            "rating": "all_ages",
        },
    )

    # then
    assert response.status_code == 200
    assert "Select a valid choice. XX is not one of the available choices." in (
        response.content.decode()
    )
    assert not GenerationRequest.objects.exists()


def test_change_the_prompt_fills_the_studio_with_the_refused_request(client):
    # given: a request refused for a character the prompt names without a licence
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    publish_offer(CharacterFactory(name="Kuro Neko"))
    request = services.generation_request_create(
        creator=creator,
        prompt="Hoshi-chan chases Kuro Neko",
        character_ids=[hoshi.pk],
        territory="JP",
        rating="teen",
    )
    request = run_pipeline(request_id=request.pk)
    client.force_login(creator)

    # when
    html = client.get(STUDIO, {"again": str(request.pk)}).content.decode()

    # then
    assert request.status == "refused"
    assert ">\nHoshi-chan chases Kuro Neko</textarea>" in html
    assert f'value="{hoshi.pk}" checked' in _card(html, hoshi)
    assert '<option value="JP" selected>Japan</option>' in html
    assert '<option value="teen" selected>' in html
    # and: someone else's request fills nothing in
    client.force_login(UserFactory())
    other = client.get(STUDIO, {"again": str(request.pk)}).content.decode()
    assert "Hoshi-chan chases Kuro Neko" not in other


def test_my_works_shows_posters_status_likes_earnings_and_claim_badges(client):
    # given: a published work with two likes, a tip and a claim on it
    hoshi = CharacterFactory(name="Hoshi-chan")
    creator = UserFactory()
    work = WorkFactory(
        creator=creator,
        grants=[grant_for(hoshi, creator, commercial_use=True)],
        title="Hoshi drinks a lager",
    )
    services.like_work(work=work, user=UserFactory())
    services.like_work(work=work, user=UserFactory())
    tip_settled(work, "pi_my_works_1")
    claim_filed(work, hoshi, editor_of(hoshi))
    earned = selectors_stats.earned_per_work(owner=creator, work_ids=[work.pk])
    client.force_login(creator)

    # when
    html = client.get(MY_WORKS).content.decode()

    # then
    card = section(html, '<li class="card work-card"', "</li>")
    assert 'data-status="published"' in card
    thumb = f'<a href="{work.get_absolute_url()}" class="work-thumb" aria-hidden="true"'
    assert f'{thumb} tabindex="-1"><img src="' in card
    assert "poster.jpg" in card
    assert '<span class="badge gen-published">Published</span>' in card
    assert "2 likes" in card
    [(currency, amount)] = earned[str(work.pk)]
    assert amount > 0
    assert f"Earned {escape(format_minor(amount, currency))}" in card
    assert '<span class="badge claim">1 claim</span>' in card
    assert "dispute" not in card


def test_the_split_bar_fills_its_width_and_draws_the_upstream_creators_share(client):
    # given: a remix of a remix (its first creator is upstream)
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    first = WorkFactory(
        creator=a, grants=[grant_for(hoshi, a, rev_share_bps=1_000, **REMIX)], title="One"
    )
    second = WorkFactory(
        creator=b, parent=first, grants=[grant_for(hoshi, b, rev_share_bps=1_000, **REMIX)]
    )
    client.force_login(c)

    # when
    html = client.get(second.get_absolute_url()).content.decode()

    # then: segments meet edge to edge and fill the bar, every role coloured by class
    rects = re.findall(
        r'<rect class="seg seg-(\w+)" x="(\d+)" y="0" width="(\d+)" height="100">', html
    )
    assert rects
    edge = 0
    for _, x, width in rects:
        assert int(x) == edge and int(width) > 0
        edge += int(width)
    assert edge == 10_000
    assert "upstream_creator" in {role for role, _, _ in rects}
    assert 'style="flex' not in html
