"""Every reason code a request can end with has plain words and a way forward
(marketplace/refusals.py): the codes are read from the sources that produce them, so a
new code without words fails here."""

import ast
import re
from pathlib import Path

import pytest

from core.errors import ErrorCode
from licensing.enums import LicensingError
from marketplace.enums import OutcomeCode, StorylineCode
from marketplace.refusals import NONE, WORDS, advice_for, refusal_advice

ROOT = Path(__file__).resolve().parents[2]
# The modules whose refusals reach a generation request's reasons.
SOURCES = [
    "licensing/policy/engine.py",
    "licensing/services/caps.py",
    "marketplace/services/generation.py",
    "marketplace/services/caps.py",
    "marketplace/services/storylines.py",
]
# The engine's term names and other internal words a creator must never read.
INTERNAL = re.compile(
    r"\b(grant|territor(y|ies)|watchlist|alias|lookalike|allowed_actions|\w+_\w+)\b", re.I
)
CHARACTER_ID = "6f1c2b8e-3d0a-5e47-9b21-c0c0a7e5f1d2"


def _engine_codes(source: str) -> set[str]:
    """The codes passed as first argument to ``out.refuse``/``out.review``/``Reason``."""
    codes = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0]
        if name in ("refuse", "review", "Reason") and isinstance(first, ast.Constant):
            codes.add(first.value)
    return codes


def _enum_codes(source: str, enum) -> set[str]:
    """The members of ``enum`` that ``source`` names as ``code=`` of a refusal."""
    return {
        member.value
        for member in enum
        if re.search(rf"code=(str\()?{enum.__name__}\.{member.name}\b", source)
    }


def _storyline_codes(source: str) -> set[str]:
    """The StorylineCode members ``source`` refuses a take with."""
    return {code.value for code in StorylineCode if f"StorylineCode.{code.name}" in source}


def all_codes() -> set[str]:
    codes: set[str] = set()
    for path in SOURCES:
        source = (ROOT / path).read_text()
        codes |= _engine_codes(source)
        codes |= _enum_codes(source, LicensingError)
        codes |= _storyline_codes(source)
    # Payments refuses a fee hold with InsufficientFunds: its code lands in the reasons.
    codes.add(ErrorCode.INSUFFICIENT_FUNDS.value)
    codes |= {code.value for code in OutcomeCode}
    return codes


def test_the_walk_finds_the_codes_of_every_source():
    # given / when
    codes = all_codes()

    # then: the scan works (a broken scan would pass the walk below vacuously)
    assert {"unlicensed_character", "banned_word", "watchlisted", "stack_exceeds_cap"} <= codes
    assert {"cap_generations", "cap_works", "insufficient_funds", "approval_denied"} <= codes
    assert {"storyline_closed", "storyline_ended", "take_too_long"} <= codes
    assert len(codes) >= 37


@pytest.mark.parametrize("code", sorted(all_codes()))
def test_every_reason_code_has_words_and_a_way_forward(code):
    # given: a refusal with that code, naming a character, as the sources write it
    reason = {
        "code": code,
        "term": "grant",
        "message": "Hoshi-chan may not appear in violence content.",
        "character_id": CHARACTER_ID,
        "character_name": "Hoshi-chan",
        "severity": "refuse",
        "by": "Aiko Tanaka",
    }

    # when
    advice = advice_for(reason, territory="JP", again_url="/studio/?again=1")

    # then: words of its own, filled in, without an internal term name
    assert code in WORDS, f"reason code {code!r} has no words in marketplace/refusals.py"
    assert advice.text and "{" not in advice.text and "}" not in advice.text
    assert not INTERNAL.search(advice.text), advice.text
    assert not INTERNAL.search(advice.action), advice.action
    # and: a refusal says what to do, as a link (only a review has nothing to do)
    if WORDS[code].target != NONE:
        assert advice.action and advice.url.startswith("/"), (code, advice)


def test_only_reviews_have_no_action():
    # given / when
    without = {code for code, words in WORDS.items() if words.target == NONE}

    # then
    assert without == {"lookalike_needs_review", "mention_needs_review"}


def test_the_actions_lead_to_the_character_the_wallet_and_back_to_the_studio():
    # given
    again = "/studio/?again=abc"

    def url(code, **extra):
        reason = {"code": code, "character_id": CHARACTER_ID, "character_name": "Kuro", **extra}
        return advice_for(reason, again_url=again)

    # when / then
    assert url("unlicensed_character").url == f"/characters/{CHARACTER_ID}/"
    assert url("unlicensed_character").action == "Get a licence for Kuro"
    assert url("banned_word").url == again
    assert url("banned_word").action == "Change the prompt"
    assert url("disallowed_character").action == "Choose another character"
    # a character only the prompt names is left out of the prompt instead
    named = url("disallowed_character", matched_as="matched as 'shadow vandal'")
    assert (named.action, named.url) == ("Change the prompt", again)
    assert url("insufficient_funds").url == "/earnings/#wallet"
    assert url("insufficient_funds").action == "Top up your wallet"
    assert url("territory").text == "Kuro may not be used in your country."
    assert advice_for({"code": "territory", "character_name": "Kuro"}, territory="JP").text == (
        "Kuro may not be used in Japan."
    )


def test_the_same_cause_twice_is_said_once_and_reviews_are_kept_apart():
    # given: the engine's reasons, one cause repeated, one review
    reasons = [
        {"code": "unlicensed_character", "character_name": "Kuro", "severity": "refuse"},
        {"code": "unlicensed_character", "character_name": "Kuro", "severity": "refuse"},
        {"code": "unlicensed_character", "character_name": "Hoshi", "severity": "refuse"},
        {"code": "mention_needs_review", "character_name": "Aiko", "severity": "review"},
    ]

    # when
    refusals = refusal_advice(reasons)
    reviews = refusal_advice(reasons, severity="review")

    # then
    assert [a.text for a in refusals] == [
        "You don't have a licence for Kuro yet.",
        "You don't have a licence for Hoshi yet.",
    ]
    assert [a.text for a in reviews] == [
        "The prompt may mention Aiko: their rightsholder will look at the video before it "
        "is published."
    ]


def test_an_unknown_code_falls_back_to_a_failure_with_a_way_forward():
    # given / when
    advice = advice_for({"code": "something_new"}, again_url="/studio/?again=1")

    # then
    assert advice.text.startswith("Something went wrong on our side")
    assert (advice.action, advice.url) == ("Try again", "/studio/?again=1")


def test_a_declined_video_quotes_the_rightsholders_note():
    # given / when
    advice = advice_for(
        {
            "code": "approval_denied",
            "message": "Not on brand",
            "by": "Aiko Tanaka",
            "character_name": "Aiko Tanaka",
        }
    )

    # then
    assert advice.text == "Aiko Tanaka declined the video. They said: “Not on brand”"
