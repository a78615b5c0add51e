"""Storylines and their takes: the rightsholder's services (create, close, feature) and
the rules a take must keep, at the request (a clear refusal, nothing created) and again
when the policy step runs (the dates may pass while it waits)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import DomainError, NotPermitted
from marketplace import services
from marketplace.enums import GenerationStatus, StorylineStatus
from marketplace.models import GenerationRequest, Storyline
from marketplace.selectors_storylines import storyline_takes_ranked, take_score
from marketplace.services.storylines import StorylineNotFound
from tests.builders import storyline_opened
from tests.factories import (
    CharacterFactory,
    GrantFactory,
    OfferFactory,
    UserFactory,
    WorkFactory,
    editor_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hoshi():
    return CharacterFactory(name="Hoshi-chan")


@pytest.fixture
def offer(hoshi):
    return OfferFactory(
        character=hoshi,
        title="Star Diary remix",
        allowed_actions=["generate", "remix", "publish"],
        rev_share_bps=1500,
    )


@pytest.fixture
def creator(hoshi, offer):
    person = UserFactory(display_name="Mika")
    GrantFactory(offer=offer, licensee=person)
    return person


def _take(creator, storyline, characters, **kw):
    return services.generation_request_create(
        creator=creator,
        prompt=kw.pop("prompt", "Hoshi-chan fishes stars out of the harbour"),
        character_ids=[c.pk for c in characters],
        storyline=storyline,
        enqueue=False,
        **kw,
    )


def _refused(code, creator, storyline, characters, **kw):
    before = GenerationRequest.objects.count()
    with pytest.raises(DomainError) as refused:
        _take(creator, storyline, characters, **kw)
    assert refused.value.code == code, refused.value.detail
    assert GenerationRequest.objects.count() == before  # nothing created
    return refused.value


# --- creating and running a storyline ----------------------------------------------------


def test_a_rightsholder_opens_a_storyline_of_their_own_character(hoshi, offer):
    # when
    storyline = storyline_opened(hoshi, offer=offer, max_take_s=8)

    # then
    assert storyline.owner_organization_id == hoshi.owner_organization_id
    assert storyline.status == StorylineStatus.OPEN
    assert [(m.character, m.offer) for m in storyline.cast.all()] == [(hoshi, offer)]


def test_a_storyline_of_someone_elses_character_is_refused_and_nothing_is_made(hoshi, offer):
    # given
    stranger = UserFactory()

    # when / then
    with pytest.raises(NotPermitted, match="not one of your characters"):
        storyline_opened(hoshi, offer=offer, by=stranger)
    assert not Storyline.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": " "}, "title"),
        ({"days": (2, 1)}, "ends_at"),
        ({"max_take_s": 30}, "max_take_s"),
        ({"join_policy": "everyone"}, "join_policy"),
    ],
)
def test_bad_storyline_input_is_refused_naming_the_field(hoshi, offer, fields, field):
    # when / then
    with pytest.raises(DomainError) as refused:
        storyline_opened(hoshi, offer=offer, **fields)
    assert refused.value.field == field
    assert not Storyline.objects.exists()


def test_an_offer_of_another_character_or_a_draft_is_refused(hoshi):
    # given
    other = OfferFactory(character=CharacterFactory(owner_organization=hoshi.owner_organization))
    draft = OfferFactory(character=hoshi, status="draft")

    # when / then
    for offer in (other, draft):
        with pytest.raises(DomainError, match="published offers"):
            storyline_opened(hoshi, offer=offer)


def test_the_opening_must_be_the_rightsholders_own_published_video(hoshi, offer):
    # given
    someone_elses = WorkFactory(published_at=timezone.now())

    # when / then
    with pytest.raises(DomainError) as refused:
        storyline_opened(hoshi, offer=offer, opening=someone_elses)
    assert refused.value.field == "opening"
    own = WorkFactory(creator=editor_of(hoshi), published_at=timezone.now())
    assert storyline_opened(hoshi, offer=offer, opening=own).opening == own


def test_only_its_rightsholder_closes_features_or_edits_it(hoshi, offer, creator):
    # given
    storyline = storyline_opened(hoshi, offer=offer)
    take = WorkFactory(creator=creator, storyline=storyline, published_at=timezone.now())
    stranger = UserFactory()

    # when / then: to anyone else it does not exist
    with pytest.raises(StorylineNotFound):
        services.storyline_close(storyline=storyline, by=stranger)
    with pytest.raises(StorylineNotFound):
        services.storyline_take_feature(storyline=storyline, work=take, by=creator)
    with pytest.raises(StorylineNotFound):
        services.storyline_update(
            storyline=storyline,
            by=stranger,
            title="Mine now",
            premise="x",
            ends_at=storyline.ends_at,
            max_take_s=5,
            join_policy="none",
        )
    storyline.refresh_from_db()
    assert (storyline.status, storyline.title) == ("open", "The night the stars fell")
    assert not storyline.featured.exists()


def test_closing_stops_new_takes_and_twice_is_harmless(hoshi, offer, creator):
    # given
    storyline = storyline_opened(hoshi, offer=offer)

    # when
    services.storyline_close(storyline=storyline, by=editor_of(hoshi))
    closed = services.storyline_close(storyline=storyline, by=editor_of(hoshi))

    # then
    assert closed.status == StorylineStatus.CLOSED and closed.closed_at is not None
    _refused("storyline_closed", creator, closed, [hoshi])


def test_featuring_accepts_only_the_storylines_own_published_takes(hoshi, offer, creator):
    # given
    storyline = storyline_opened(hoshi, offer=offer)
    take = WorkFactory(creator=creator, storyline=storyline, published_at=timezone.now())
    not_a_take = WorkFactory(creator=creator, published_at=timezone.now())
    owner = editor_of(hoshi)

    # when
    services.storyline_take_feature(storyline=storyline, work=take, by=owner)

    # then
    assert list(storyline.featured.all()) == [take]
    with pytest.raises(DomainError, match="not a take"):
        services.storyline_take_feature(storyline=storyline, work=not_a_take, by=owner)
    services.storyline_take_unfeature(storyline=storyline, work=take, by=owner)
    assert not storyline.featured.exists()


# --- the rules a take keeps -----------------------------------------------------------------


def test_a_take_is_a_request_of_the_storyline(hoshi, offer, creator):
    # given
    storyline = storyline_opened(hoshi, offer=offer)

    # when
    request = _take(creator, storyline, [hoshi])

    # then
    assert request.storyline == storyline
    assert request.status == GenerationStatus.QUEUED


def test_a_take_before_the_start_or_after_the_end_is_refused(hoshi, offer, creator):
    # given
    early = storyline_opened(hoshi, offer=offer, days=(1, 5))
    late = storyline_opened(hoshi, offer=offer, title="Over", days=(-5, -1))

    # when / then
    assert "not started" in _refused("storyline_not_started", creator, early, [hoshi]).detail
    assert "ended" in _refused("storyline_ended", creator, late, [hoshi]).detail


def test_a_take_longer_than_the_rules_allow_is_refused(hoshi, offer, creator):
    # given
    storyline = storyline_opened(hoshi, offer=offer, max_take_s=4)

    # when / then
    error = _refused("take_too_long", creator, storyline, [hoshi], duration_s=6)
    assert "at most 4 seconds" in error.detail
    assert _take(creator, storyline, [hoshi], duration_s=4).storyline == storyline


def test_a_take_needs_one_of_the_storylines_characters(hoshi, offer, creator):
    # given
    storyline = storyline_opened(hoshi, offer=offer, join_policy="licensed")
    kuro = CharacterFactory(name="Kuro Neko")
    GrantFactory(character=kuro, licensee=creator)

    # when / then
    _refused("storyline_no_character", creator, storyline, [kuro], prompt="Kuro Neko naps")


def test_other_characters_join_only_as_the_rules_say(hoshi, offer, creator):
    # given: a character the creator holds a licence for, and one more
    kuro = CharacterFactory(name="Kuro Neko")
    nami = CharacterFactory(name="Captain Nami")
    GrantFactory(character=kuro, licensee=creator)
    GrantFactory(character=nami, licensee=creator)
    closed_cast = storyline_opened(hoshi, offer=offer, title="Alone", join_policy="none")
    listed = storyline_opened(
        hoshi, offer=offer, title="Listed", join_policy="listed", joiners=[kuro]
    )
    anyone = storyline_opened(hoshi, offer=offer, title="Anyone", join_policy="licensed")
    prompt = "Hoshi-chan, Kuro Neko and Captain Nami sail"

    # when / then
    error = _refused(
        "storyline_character_not_allowed", creator, closed_cast, [hoshi, kuro], prompt=prompt
    )
    assert "Kuro Neko may not join" in error.detail
    error = _refused(
        "storyline_character_not_allowed", creator, listed, [hoshi, kuro, nami], prompt=prompt
    )
    assert "Captain Nami may not join" in error.detail and "Kuro" not in error.detail
    assert _take(creator, listed, [hoshi, kuro], prompt=prompt).storyline == listed
    assert _take(creator, anyone, [hoshi, kuro, nami], prompt=prompt).storyline == anyone


def test_a_take_under_another_offer_of_the_character_is_refused(hoshi, offer):
    # given: a creator licensed under the character's other offer only
    other_offer = OfferFactory(character=hoshi, title="Another offer")
    creator = UserFactory()
    GrantFactory(offer=other_offer, licensee=creator)
    storyline = storyline_opened(hoshi, offer=offer)

    # when / then
    error = _refused("storyline_wrong_offer", creator, storyline, [hoshi])
    assert offer.title in error.detail


def test_a_storyline_with_an_opening_takes_only_remixes_of_it(hoshi, offer, creator):
    # given
    opening = WorkFactory(creator=editor_of(hoshi), published_at=timezone.now())
    storyline = storyline_opened(hoshi, offer=offer, opening=opening)

    # when / then
    before = GenerationRequest.objects.count()
    with pytest.raises(DomainError) as refused:
        _take(creator, storyline, [hoshi])
    assert refused.value.field == "parent_work_id"
    assert GenerationRequest.objects.count() == before
    assert _take(creator, storyline, [hoshi], parent=opening).parent == opening


def test_a_take_waiting_in_the_queue_is_refused_if_the_storyline_closes_meanwhile(
    hoshi, offer, creator
):
    # given: a take queued while the storyline was open
    storyline = storyline_opened(hoshi, offer=offer)
    request = _take(creator, storyline, [hoshi])
    services.storyline_close(storyline=storyline, by=editor_of(hoshi))

    # when
    services.generation_check(request_id=request.pk)

    # then: refused with the storyline's reason, before any policy decision
    request.refresh_from_db()
    assert request.status == GenerationStatus.REFUSED
    assert [r["code"] for r in request.reasons] == ["storyline_closed"]
    assert request.decision_id is None


# --- ranking ------------------------------------------------------------------------------------


def test_the_score_follows_its_formula():
    # (likes + 3 × remixes + 1) / (age_hours + 2) ^ 1.5
    assert take_score(likes=0, remixes=0, age_hours=0) == pytest.approx(1 / 2**1.5)
    assert take_score(likes=12, remixes=2, age_hours=5) == pytest.approx(19 / 7**1.5)
    # a remix counts three likes
    assert take_score(likes=3, remixes=0, age_hours=1) == take_score(
        likes=0, remixes=1, age_hours=1
    )


def test_takes_rank_featured_first_then_by_score(hoshi, offer, creator):
    # given: three takes of one storyline, liked and remixed differently
    storyline = storyline_opened(hoshi, offer=offer)
    now = timezone.now()
    old_loved = WorkFactory(
        title="old", storyline=storyline, published_at=now - timedelta(hours=48)
    )
    fresh = WorkFactory(title="fresh", storyline=storyline, published_at=now - timedelta(hours=1))
    remixed = WorkFactory(
        title="remixed", storyline=storyline, published_at=now - timedelta(hours=3)
    )
    for _ in range(5):
        services.like_work(work=old_loved, user=UserFactory())
    services.like_work(work=fresh, user=UserFactory())
    WorkFactory(parent=remixed, published_at=now)
    WorkFactory(parent=remixed, published_at=now, status="delisted")  # not counted
    services.storyline_take_feature(storyline=storyline, work=old_loved, by=editor_of(hoshi))

    # when
    ranked = storyline_takes_ranked(storyline=storyline, now=now)

    # then: featured first, then (1+0+1)/3^1.5 = 0.385 for fresh vs (0+3+1)/5^1.5 = 0.358
    assert [w.title for w in ranked] == ["old", "fresh", "remixed"]
    assert (ranked[0].rank.likes, ranked[0].rank.featured) == (5, True)
    assert (ranked[2].rank.remixes, ranked[2].rank.likes) == (1, 0)
    assert ranked[1].rank.score == pytest.approx(2 / 3**1.5)


def test_the_sql_score_agrees_with_take_score(hoshi, offer, creator):
    # given: takes of every age, liked and remixed differently, one featured
    storyline = storyline_opened(hoshi, offer=offer)
    now = timezone.now()
    takes = []
    for i, (hours, likes, remixes) in enumerate(
        [(0, 0, 0), (0.5, 3, 0), (2, 0, 1), (7.25, 9, 2), (30, 40, 0), (200, 2, 5), (-1, 1, 0)]
    ):
        take = WorkFactory(
            title=f"take {i}", storyline=storyline, published_at=now - timedelta(hours=hours)
        )
        for _ in range(likes):
            services.like_work(work=take, user=UserFactory())
        for _ in range(remixes):
            WorkFactory(parent=take, published_at=now)
        takes.append(take)
    services.storyline_take_feature(storyline=storyline, work=takes[5], by=editor_of(hoshi))

    # when
    ranked = storyline_takes_ranked(storyline=storyline, now=now)

    # then: each score is take_score's for its counts and age, and the order is the
    # Python twin's (featured first, then by score, ties by the newest)
    for work in ranked:
        published = work.published_at
        age = (now - published).total_seconds() / 3600
        assert work.rank.age_hours == pytest.approx(max(age, 0.0), abs=1e-6)
        assert work.rank.score == pytest.approx(
            take_score(likes=work.rank.likes, remixes=work.rank.remixes, age_hours=age)
        )
    expected = sorted(
        ranked,
        key=lambda w: (not w.rank.featured, -w.rank.score, -w.published_at.timestamp()),
    )
    assert [w.title for w in ranked] == [w.title for w in expected]
    assert ranked[0].title == "take 5"
    assert {w.title: (w.rank.likes, w.rank.remixes) for w in ranked}["take 3"] == (9, 2)


def test_ranking_reads_a_constant_number_of_queries_and_only_the_most_recent_takes(
    hoshi, offer, creator, django_assert_num_queries
):
    # given: a storyline whose oldest take is the most liked
    storyline = storyline_opened(hoshi, offer=offer)
    now = timezone.now()
    oldest = WorkFactory(title="oldest", storyline=storyline, published_at=now - timedelta(days=9))
    for _ in range(3):
        services.like_work(work=oldest, user=UserFactory())
    for i in range(4):
        WorkFactory(title=f"t{i}", storyline=storyline, published_at=now - timedelta(hours=i))
    WorkFactory(title="delisted", storyline=storyline, status="delisted", published_at=now)

    # when: two queries (the ranked takes with creators and parents, their licences)
    with django_assert_num_queries(2):
        few = storyline_takes_ranked(storyline=storyline, now=now, limit=4)
    for i in range(4, 12):
        WorkFactory(title=f"t{i}", storyline=storyline, published_at=now - timedelta(hours=i))
    with django_assert_num_queries(2):
        many = storyline_takes_ranked(storyline=storyline, now=now, limit=200)

    # then: the window is the most recent published takes
    assert sorted(w.title for w in few) == ["t0", "t1", "t2", "t3"]
    assert len(many) == 13 and "delisted" not in {w.title for w in many}


# --- the split: the storyline's owner is upstream of every take ---------------------------


def test_a_rendered_take_licenses_the_storyline_character_and_pays_its_owner(
    hoshi, offer, creator, signing
):
    # given: the studio's opening video, and a storyline of it
    from payments.selectors import party_for_character, party_for_user, work_split_lines
    from tests.marketplace.conftest import with_image
    from tests.marketplace.helpers import make_work

    with_image(hoshi)
    owner = editor_of(hoshi)
    GrantFactory(offer=offer, licensee=owner)  # the studio licenses its own character too
    opening = make_work(creator=owner, characters=[hoshi], prompt="Hoshi-chan sees the stars fall")
    storyline = storyline_opened(hoshi, offer=offer, opening=opening)

    # when: a creator's take, through the whole pipeline
    take = make_work(
        creator=creator,
        characters=[hoshi],
        prompt="Hoshi-chan nets the fallen stars",
        parent=opening,
        storyline=storyline,
    )

    # then: a take of the storyline, remixing the opening, under the storyline's offer
    assert (take.storyline, take.parent) == (storyline, opening)
    [licence] = take.licenses.all()
    assert (licence.character, licence.offer.series) == (hoshi, offer.series)
    # and: the split pays the studio as rightsholder and the opening's maker upstream
    lines = {(line.role, line.party) for line in work_split_lines(work=take)}
    assert ("rightsholder", party_for_character(hoshi)) in lines
    assert ("upstream_creator", party_for_user(owner)) in lines
