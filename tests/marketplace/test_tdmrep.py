"""Training opt-outs published for crawlers (W3C TDMRep): ``/.well-known/tdmrep.json``
lists the public media whose rightsholders reserve text and data mining, and the media
responses carry the ``tdm-reservation`` / ``tdm-policy`` headers, the policy being the
reserving offer's ODRL export."""

import pytest
from django.test import Client

from core.media import media_url
from tests.builders import pending_approval_work
from tests.factories import CharacterFactory, UserFactory, WorkFactory, grant_for, publish_offer
from tests.marketplace.conftest import with_image
from tests.marketplace.helpers import store_files
from tests.media import fetch

pytestmark = pytest.mark.django_db

TDMREP = "/.well-known/tdmrep.json"


def _odrl(offer) -> str:
    return f"http://testserver/api/v1/offers/{offer.pk}/odrl/"


def _works():
    """A published work under a reserving licence, one under an allowing licence, and
    one under a reserving licence still awaiting approval (not public)."""
    creator = UserFactory()
    reserved_grant = grant_for(CharacterFactory(name="Hoshi-chan"), creator)
    allowed_grant = grant_for(CharacterFactory(name="Kuro Neko"), creator, ai_training="allowed")
    reserved = store_files(WorkFactory(creator=creator, grants=[reserved_grant]))
    allowed = store_files(WorkFactory(creator=creator, grants=[allowed_grant]))
    pending_grant = grant_for(CharacterFactory(), creator, approval="per_work")
    pending = pending_approval_work(
        creator=creator, grant=pending_grant, character=pending_grant.character, title="Later"
    )
    return reserved, allowed, pending, reserved_grant.offer


def test_tdmrep_json_lists_the_reserved_public_media_with_their_odrl_policy():
    # given
    reserved, allowed, pending, reserving_offer = _works()
    mixed = WorkFactory(
        creator=reserved.creator,
        grants=[
            grant_for(CharacterFactory(), reserved.creator, ai_training="allowed"),
            grant_for(CharacterFactory(), reserved.creator),
        ],
    )
    mixed_offer = mixed.licenses.get(offer__terms__ai_training="not_allowed").offer

    # when
    response = Client().get(TDMREP)

    # then: an array of TDMRep rules, one per reserved published work's folder
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    rules = {rule["location"]: rule for rule in response.json()}
    assert rules[f"/media/works/{reserved.pk}/*"] == {
        "location": f"/media/works/{reserved.pk}/*",
        "tdm-reservation": 1,
        "tdm-policy": _odrl(reserving_offer),
    }
    # the strictest licence wins: one reserving licence reserves the work
    assert rules[f"/media/works/{mixed.pk}/*"]["tdm-policy"] == _odrl(mixed_offer)
    assert f"/media/works/{allowed.pk}/*" not in rules
    assert f"/media/works/{pending.pk}/*" not in rules
    assert all(rule["tdm-reservation"] == 1 for rule in rules.values())


def test_tdmrep_json_lists_reserved_character_images():
    # given: one character's terms reserve training, another's allow it, a third has
    # published no terms at all
    reserving = with_image(CharacterFactory(name="Reserving"))
    offer = publish_offer(reserving)
    allowing = with_image(CharacterFactory(name="Allowing"))
    publish_offer(allowing, ai_training="allowed")
    unpublished = with_image(CharacterFactory(name="No terms"))

    # when
    rules = {rule["location"]: rule for rule in Client().get(TDMREP).json()}

    # then
    assert rules[f"/media/characters/{reserving.pk}/*"]["tdm-policy"] == _odrl(offer)
    assert f"/media/characters/{allowing.pk}/*" not in rules
    assert rules[f"/media/characters/{unpublished.pk}/*"] == {
        "location": f"/media/characters/{unpublished.pk}/*",
        "tdm-reservation": 1,
    }


def test_tdmrep_json_costs_the_same_queries_however_many_works(django_assert_num_queries):
    # given
    _works()
    with django_assert_num_queries(2):
        Client().get(TDMREP)
    _works()
    _works()

    # then: one query for the works, one for the characters
    with django_assert_num_queries(2):
        assert len(Client().get(TDMREP).json()) >= 2


def test_a_reserved_works_media_carries_the_tdm_headers_and_the_policy_says_why():
    # given
    reserved, allowed, _, reserving_offer = _works()

    # when
    video = fetch(Client(), media_url(file=reserved.video))
    poster = fetch(Client(), media_url(file=reserved.poster))
    open_video = fetch(Client(), media_url(file=allowed.video))

    # then
    for response in (video, poster):
        assert response.status_code == 200
        assert response["tdm-reservation"] == "1"
        assert response["tdm-policy"] == _odrl(reserving_offer)
    assert open_video.status_code == 200
    assert "tdm-reservation" not in open_video
    assert "tdm-policy" not in open_video
    # and: the policy the header names is the offer's ODRL, prohibiting AI training
    policy = Client().get(video["tdm-policy"].removeprefix("http://testserver"))
    assert policy.status_code == 200
    prohibited = [p["action"] for p in policy.json()["prohibition"]]
    assert "cc:aiTraining" in prohibited


def test_a_reserved_characters_image_carries_the_tdm_headers():
    # given
    reserving = with_image(CharacterFactory(name="Reserving"))
    offer = publish_offer(reserving)
    allowing = with_image(CharacterFactory(name="Allowing"))
    publish_offer(allowing, ai_training="allowed")

    # when
    image = fetch(Client(), media_url(file=reserving.images.get().image))
    thumbnail = fetch(Client(), media_url(file=reserving.images.get().thumbnail))
    open_image = fetch(Client(), media_url(file=allowing.images.get().image))

    # then
    for response in (image, thumbnail):
        assert response.status_code == 200
        assert response["tdm-reservation"] == "1"
        assert response["tdm-policy"] == _odrl(offer)
    assert open_image.status_code == 200
    assert "tdm-reservation" not in open_image


def test_the_headers_follow_the_terms_in_the_production_sendfile_mode(settings):
    # given: the web server sends the bytes
    settings.MEDIA_SENDFILE_HEADER = "X-Accel-Redirect"
    reserved, _, _, offer = _works()

    # when
    response = fetch(Client(), media_url(file=reserved.video))

    # then
    assert response["X-Accel-Redirect"].endswith(reserved.video.name)
    assert response["tdm-reservation"] == "1"
    assert response["tdm-policy"] == _odrl(offer)
