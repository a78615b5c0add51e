"""The policy engine's lookalike rules, as a pure function: what a character the prompt
describes without naming it gets (no model here: the lookalikes are given)."""

from datetime import UTC, datetime

import pytest

from licensing.policy.engine import evaluate
from licensing.policy.facts import (
    AudienceFacts,
    CharacterFacts,
    Context,
    GrantFacts,
    Lookalike,
    ParentFacts,
)
from licensing.policy.screening import Mention
from licensing.terms import Terms

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
TERMS = Terms(audience="public", allowed_actions=("generate", "remix", "publish"))
DASH_DESCRIPTION = (
    "A blue anthropomorphic hedgehog with spiky quills and green eyes who runs at "
    "supersonic speed in red sneakers with white straps, collecting golden rings."
)


def facts(cid, name, *, action="review", grant=None, disallowed=False, owner=False):
    return CharacterFacts(
        cid,
        name,
        "character",
        "Sega-ish Studio",
        disallowed=disallowed,
        grant=GrantFacts(f"g-{cid}", grant, f"o-{cid}", "hash", TERMS) if grant else None,
        audience=AudienceFacts(is_owner=owner),
        description=DASH_DESCRIPTION if cid == "dash" else f"{name}, a character.",
        lookalike_action=action,
    )


HOSHI = facts("hoshi", "Hoshi-chan", grant="active")


def decide(dash, *, requested=("hoshi",), mentions=(), parent=None, score=0.71):
    characters = {"hoshi": HOSHI, "dash": dash}
    return evaluate(
        prompt="Hoshi-chan races the blue hedgehog who runs fast in red sneakers",
        licensee_id="creator-1",
        requested_ids=list(requested),
        mentions=mentions,
        characters=characters,
        context=Context(now=NOW),
        parent=parent,
        lookalikes=[Lookalike("dash", score)],
    )


def test_lookalike_of_a_character_whose_rightsholder_refuses_them_is_refused_naming_it():
    decision = decide(facts("dash", "Azure Dash", action="refuse"))

    assert not decision.allowed
    (reason,) = decision.reasons
    assert (reason.code, reason.term, reason.severity) == (
        "lookalike",
        "lookalike_action",
        "refuse",
    )
    assert (reason.character_id, reason.character_name) == ("dash", "Azure Dash")
    assert reason.message.startswith(
        "The prompt describes Azure Dash (a blue anthropomorphic hedgehog with spiky quills "
        "and green eyes who runs at…) without naming them, and you hold no licence for them."
    )
    assert "dash" in decision.character_ids


def test_lookalike_sent_to_review_is_allowed_but_waits_for_its_rightsholder():
    decision = decide(facts("dash", "Azure Dash"))  # review is the default

    assert decision.allowed and decision.needs_review
    (reason,) = decision.reasons
    assert (reason.code, reason.severity, reason.character_id) == (
        "lookalike_needs_review",
        "review",
        "dash",
    )
    assert "its rightsholder will review the video" in reason.message
    # Involved (its owner may claim the work, and sees the decision in its report), but
    # never licensed: no terms, fees or shares of its come into the request.
    assert decision.character_ids == ("hoshi", "dash")
    assert set(decision.effective["rev_share_bps"]) == {"hoshi"}


def test_lookalike_of_a_character_whose_rightsholder_allows_them_passes_unrecorded():
    decision = decide(facts("dash", "Azure Dash", action="allow"))

    assert decision.allowed and not decision.needs_review
    assert decision.reasons == ()
    assert decision.character_ids == ("hoshi",)


@pytest.mark.parametrize("grant", [None, "active"])
@pytest.mark.parametrize("action", ["allow", "review", "refuse"])
def test_lookalike_of_a_disallowed_character_is_refused_whatever_its_action_or_licence(
    action, grant
):
    decision = decide(facts("dash", "Azure Dash", action=action, grant=grant, disallowed=True))

    assert not decision.allowed
    (reason,) = decision.reasons
    assert (reason.code, reason.term) == ("lookalike_disallowed", "disallowed")
    assert "Azure Dash is disallowed by its rightsholder" in reason.message


@pytest.mark.parametrize(
    "dash",
    [
        facts("dash", "Azure Dash", action="refuse", grant="active"),
        facts("dash", "Azure Dash", action="refuse", owner=True),
    ],
    ids=["licensed creator", "its own rightsholder"],
)
def test_a_creator_licensed_for_it_or_owning_it_may_describe_it(dash):
    decision = decide(dash)

    assert decision.allowed and not decision.needs_review
    assert decision.reasons == ()


@pytest.mark.parametrize("grant", ["pending_payment", "ended"])
def test_a_licence_that_is_not_active_does_not_cover_a_lookalike(grant):
    decision = decide(facts("dash", "Azure Dash", action="refuse", grant=grant))

    assert [r.code for r in decision.reasons] == ["lookalike"]


def test_a_character_already_requested_named_or_in_the_parent_is_not_judged_again():
    dash = facts("dash", "Azure Dash", action="refuse", grant="active")
    parent = ParentFacts("work-1", ("dash",), (("dash", TERMS),))

    requested = decide(dash, requested=("hoshi", "dash"))
    named = decide(dash, mentions=[Mention("dash", "Azure Dash", "normal", 0, 10)])
    remixed = decide(dash, parent=parent)

    for decision in (requested, named, remixed):
        assert [r.code for r in decision.reasons if r.code.startswith("lookalike")] == []
        assert decision.allowed


def test_lookalike_without_facts_is_ignored():
    decision = evaluate(
        prompt="a blue hedgehog",
        licensee_id="creator-1",
        requested_ids=["hoshi"],
        mentions=[],
        characters={"hoshi": HOSHI},
        context=Context(now=NOW),
        lookalikes=[Lookalike("gone", 0.9)],
    )

    assert decision.allowed and decision.reasons == ()
