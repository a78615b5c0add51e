"""The policy engine as a pure function: every term, allowed and refused."""

from datetime import UTC, datetime, timedelta

import pytest

from licensing.policy.engine import evaluate
from licensing.policy.facts import (
    AudienceFacts,
    CharacterFacts,
    Context,
    GrantFacts,
    ParentFacts,
)
from licensing.policy.screening import Mention
from licensing.terms import Terms

STRANGER = AudienceFacts()
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
ME = "licensee-1"
BASE = Terms(
    audience="public",
    commercial_use=True,
    allowed_actions=("generate", "remix", "publish"),
    credit_text="Hoshi Studio",
    max_rating="mature",
    max_stack_bps=10_000,
)


def character(
    cid="hoshi",
    name="Hoshi-chan",
    *,
    terms=BASE,
    status="active",
    grant=True,
    audience=STRANGER,
    disallowed=False,
    used=0,
    works=0,
):
    grant_facts = (
        GrantFacts(f"g-{cid}", status, f"o-{cid}", "hash", terms, used, works) if grant else None
    )
    return CharacterFacts(
        cid,
        name,
        "character",
        "Hoshi Studio",
        disallowed=disallowed,
        grant=grant_facts,
        audience=audience,
    )


def decide(
    prompt="Hoshi-chan dances in the rain",
    *chars,
    requested=None,
    mentions=(),
    parent=None,
    **context,
):
    chars = chars or (character(),)
    return evaluate(
        prompt=prompt,
        licensee_id=ME,
        requested_ids=requested if requested is not None else [c.id for c in chars],
        mentions=mentions,
        characters={c.id: c for c in chars},
        context=Context(now=context.pop("now", NOW), **context),
        parent=parent,
    )


def codes(decision):
    return [r.code for r in decision.reasons]


def test_a_licensed_request_within_every_term_is_allowed():
    decision = decide()

    assert decision.allowed
    assert decision.reasons == ()
    assert decision.effective["credits"] == ["Hoshi Studio"]


@pytest.mark.parametrize(
    "terms,when,code",
    [
        (BASE.replace(starts_at=NOW + timedelta(days=1)), NOW, "not_started"),
        (BASE.replace(ends_at=NOW), NOW, "expired"),
        (BASE.replace(ends_at=NOW + timedelta(seconds=1)), NOW, None),
        (BASE.replace(starts_at=NOW - timedelta(days=1)), NOW, None),
    ],
)
def test_licence_window(terms, when, code):
    decision = decide("a walk", character(terms=terms), now=when)

    assert codes(decision) == ([code] if code else [])
    if code:
        assert decision.reasons[0].term in ("starts_at", "ends_at")
        assert decision.reasons[0].character_name == "Hoshi-chan"


@pytest.mark.parametrize(
    "mode,territories,where,allowed",
    [
        ("allow", ("JP", "FR"), "JP", True),
        ("allow", ("JP", "FR"), "US", False),
        ("allow", ("JP",), None, False),
        ("block", ("DE",), "DE", False),
        ("block", ("DE",), "JP", True),
        ("block", ("DE",), None, False),
        ("block", (), None, True),
    ],
)
def test_territory(mode, territories, where, allowed):
    terms = BASE.replace(territory_mode=mode, territories=territories)

    decision = decide("a walk", character(terms=terms), territory=where)

    assert decision.allowed is allowed
    if not allowed:
        assert decision.reasons[0].term == "territories"


@pytest.mark.parametrize(
    "audience,facts,allowlist,allowed",
    [
        ("public", AudienceFacts(), (), True),
        ("self", AudienceFacts(), (), False),
        ("self", AudienceFacts(is_owner=True), (), True),
        ("followers", AudienceFacts(), (), False),
        ("followers", AudienceFacts(is_follower=True), (), True),
        ("mutuals", AudienceFacts(is_follower=True), (), False),
        ("mutuals", AudienceFacts(is_follower=True, is_mutual=True), (), True),
        ("mutuals", AudienceFacts(), (ME,), True),
    ],
)
def test_audience(audience, facts, allowlist, allowed):
    terms = BASE.replace(audience=audience, audience_allowlist=allowlist)

    decision = decide("a walk", character(terms=terms, audience=facts))

    assert decision.allowed is allowed
    if not allowed:
        assert decision.reasons[0].term == "audience"


def test_generation_cap_per_licensee():
    terms = BASE.replace(max_generations_per_licensee=3)

    assert decide("a walk", character(terms=terms, used=2)).allowed
    refused = decide("a walk", character(terms=terms, used=3))
    assert codes(refused) == ["cap_generations"]
    assert "3 generations" in refused.reasons[0].message


def test_total_works_cap():
    terms = BASE.replace(max_works=10)

    assert decide("a walk", character(terms=terms, works=9)).allowed
    assert codes(decide("a walk", character(terms=terms, works=10))) == ["cap_works"]


def test_commercial_use():
    non_commercial = character(terms=BASE.replace(commercial_use=False))

    assert decide("a walk", non_commercial, commercial=False).allowed
    refused = decide("a walk", non_commercial, commercial=True)
    assert codes(refused) == ["commercial_use"]
    assert refused.reasons[0].message == "Hoshi-chan may be used only in non-commercial videos."


def test_allowed_actions():
    generate_only = character(terms=BASE.replace(allowed_actions=("generate", "publish")))

    assert decide("a walk", generate_only).allowed
    refused = decide("a walk", generate_only, action="remix")
    assert codes(refused) == ["action_not_allowed"]


def test_banned_categories_use_the_lexicon():
    terms = BASE.replace(banned_categories=("violence", "politics"))

    assert decide("Hoshi-chan bakes a cake", character(terms=terms)).allowed
    refused = decide("Hoshi-chan starts a bloody massacre", character(terms=terms))
    assert codes(refused) == ["banned_category"]
    assert "violence" in refused.reasons[0].message
    assert (
        decide("ほしちゃんが選挙に出る", character(terms=terms)).reasons[0].code
        == "banned_category"
    )


def test_banned_words_match_whole_words_in_any_width():
    terms = BASE.replace(banned_words=("energy drink", "rival"))

    assert decide("Hoshi-chan enjoys arrivals", character(terms=terms)).allowed
    refused = decide("Hoshi-chan sips an ＥＮＥＲＧＹ drink", character(terms=terms))
    assert codes(refused) == ["banned_word"]
    assert "'energy drink'" in refused.reasons[0].message


def test_banned_costar_names_both_characters():
    hoshi = character(terms=BASE.replace(banned_costars=("kuro",)))
    kuro = character("kuro", "Kuro")

    assert decide("a walk", hoshi).allowed
    refused = decide("a walk", hoshi, kuro)
    assert codes(refused) == ["banned_costar"]
    assert refused.reasons[0].message == "Hoshi-chan may not appear alongside Kuro."


def test_rating():
    all_ages = character(terms=BASE.replace(max_rating="all_ages"))

    assert decide("a walk", all_ages, rating="all_ages").allowed
    assert codes(decide("a walk", all_ages, rating="teen")) == ["rating"]


def test_disallowed_character_is_refused_even_with_a_grant():
    decision = decide("Hoshi-chan", character(disallowed=True))

    assert codes(decision) == ["disallowed_character"]
    assert "Hoshi-chan" in decision.reasons[0].message


def test_mentioned_character_without_a_licence_is_refused_by_name():
    kuro = character("kuro", "Kuro", grant=False)
    mention = Mention("kuro", "Kuro", "normal", 0, 4)

    decision = decide(
        "Hoshi-chan meets Kuro", character(), kuro, requested=["hoshi"], mentions=[mention]
    )

    assert codes(decision) == ["unlicensed_character"]
    assert decision.reasons[0].character_name == "Kuro"
    assert "You hold no licence for Kuro" in decision.reasons[0].message


def test_review_alias_flags_without_refusing():
    link = character("link", "Link", grant=False)

    decision = decide(
        "a link to my site",
        character(),
        link,
        requested=["hoshi"],
        mentions=[Mention("link", "Link", "review", 2, 6)],
    )

    assert decision.allowed
    assert decision.needs_review
    assert decision.reasons[0].severity == "review"


def test_a_pending_grant_does_not_license():
    decision = decide("a walk", character(status="pending_approval"))

    assert codes(decision) == ["grant_not_active"]
    assert "pending approval" in decision.reasons[0].message


def test_per_work_approval_makes_an_allowed_request_need_review():
    decision = decide("a walk", character(terms=BASE.replace(approval="per_work")))

    assert decision.allowed and decision.needs_review


def test_remix_of_a_parent_that_forbids_remixes_is_refused():
    parent_terms = BASE.replace(allowed_actions=("generate", "publish"))
    parent = ParentFacts("work-1", ("hoshi",), (("hoshi", parent_terms),))

    decision = decide("a remix", character(), parent=parent)

    assert "remix_not_allowed" in codes(decision)


def test_same_terms_parent_binds_the_remix_and_the_strictest_term_wins():
    # The creator's own licence allows commercial use; the parent's reciprocal terms do not.
    parent_terms = BASE.replace(commercial_use=False, remix_policy="same_terms")
    parent = ParentFacts("work-1", ("hoshi",), (("hoshi", parent_terms),))

    decision = decide("a remix", character(), parent=parent, commercial=True)

    assert codes(decision) == ["commercial_use"]
    assert decision.reasons[0].term == "parent:commercial_use"
    assert decide("a remix", character(), parent=parent, commercial=False).allowed


def test_stacked_shares_above_the_cap_are_refused_up_front():
    hoshi = character(terms=BASE.replace(rev_share_bps=3_000, max_stack_bps=5_000))
    kuro = character("kuro", "Kuro", terms=BASE.replace(rev_share_bps=2_500))

    decision = decide("a walk", hoshi, kuro)

    assert codes(decision) == ["stack_exceeds_cap"]
    assert "55%" in decision.reasons[0].message
    assert decision.effective["stack_bps"] == 5_500


def test_merge_reports_the_strictest_terms():
    hoshi = character(
        terms=BASE.replace(max_rating="teen", territory_mode="allow", territories=("JP", "FR"))
    )
    kuro = character(
        "kuro",
        "Kuro",
        terms=BASE.replace(
            commercial_use=False,
            territory_mode="allow",
            territories=("JP",),
            credit_text="Kuro Inc",
        ),
    )

    decision = decide("a walk", hoshi, kuro, territory="JP")

    assert decision.allowed
    assert decision.effective["commercial_use"] is False
    assert decision.effective["max_rating"] == "teen"
    assert decision.effective["territories_allowed"] == ["JP"]
    assert decision.effective["credits"] == ["Hoshi Studio", "Kuro Inc"]


def test_a_remix_credits_each_rightsholder_once():
    # The parent's reciprocal terms and the creator's own licence both credit Hoshi Studio.
    parent_terms = BASE.replace(remix_policy="same_terms")
    parent = ParentFacts("work-1", ("hoshi",), (("hoshi", parent_terms),))

    decision = decide("a remix", character(), parent=parent)

    assert decision.allowed
    assert decision.effective["credits"] == ["Hoshi Studio"]


def test_a_watchlisted_name_is_refused_as_not_licensable_yet():
    watched = Mention("watch:7", "Pikachu", "normal", 8, 15, "ピカチュウ", "romaji", "pikachu")

    decision = decide(
        "Hoshi-chan and pikachu", character(), requested=["hoshi"], mentions=[watched]
    )

    assert codes(decision) == ["watchlisted"]
    reason = decision.reasons[0]
    assert reason.character_name == "Pikachu" and reason.character_id is None
    assert "not licensable on Cocreate yet" in reason.message
    assert "matched as 'pikachu'" in reason.message


def test_a_registered_character_of_a_watchlisted_name_decides_by_its_own_terms():
    # given: the rightsholder signed up later and registered the same name
    pika = character("pika", "Pikachu")
    registered = Mention("pika", "Pikachu", "normal", 0, 7)
    watched = Mention("watch:7", "Pikachu", "normal", 0, 7)

    decision = decide("Pikachu waves", pika, mentions=[registered, watched])

    assert decision.allowed, decision.reasons


def test_a_refusal_by_name_says_how_the_prompt_wrote_it():
    kuro = character("kuro", "Kuro Neko", grant=False)
    mention = Mention("kuro", "Kuro Neko", "normal", 0, 9, "Kuro Neko", "", "kur0 n3ko")

    decision = decide("Kur0 N3ko", character(), kuro, requested=["hoshi"], mentions=[mention])

    (reason,) = decision.refusals
    assert reason.matched_as == (
        "matched as 'kur0 n3ko' (written with look-alike letters, digits or separators)"
    )
    assert reason.message.endswith(f"(The prompt names them: {reason.matched_as}.)")
