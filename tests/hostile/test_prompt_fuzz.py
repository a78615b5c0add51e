"""Hostile prompts against the policy engine: the normaliser, the screening registry,
``evaluate()`` over random facts, and ``POST /api/v1/screen/``.

Prompts come from the whole of Unicode but lone surrogates (which no UTF-8 text can
hold), with extra weight on what disguises a name: combining marks, right-to-left
overrides and isolates, zero-width joiners and spaces, the BOM, fullwidth letters, NUL,
and huge repeats. Characters are random too: names in any script (some that normalise
to nothing), every kind of licence or none, disallowed, suspended, banned words and
co-stars, territories, caps, windows; with or without a parent work.

The properties: nothing crashes; there is always a decision (``allowed`` a bool, each
reason naming its term, allowed exactly when nothing refuses); an unknown requested
character is refused by name; the normaliser is idempotent; a registered name disguised
by NFKC-equivalent rewrites (fullwidth letters, zero-width characters, direction
overrides, combining accents, case) is still found; and the HTTP endpoint answers
2xx/4xx, never 5xx."""

import json
import string
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from licensing.policy.engine import evaluate
from licensing.policy.facts import (
    AudienceFacts,
    CharacterFacts,
    Context,
    GrantFacts,
    ParentFacts,
)
from licensing.policy.normalize import normalize
from licensing.policy.screening import MODES, Entry, Registry
from licensing.terms import ACTIONS, AUDIENCES, CATEGORIES, RATINGS, Terms
from tests.factories import CharacterFactory, UserFactory, grant_for

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LICENSEE = "licensee-1"

# --- prompts --------------------------------------------------------------------------------

DISGUISES = [
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner
    "\u2060",  # word joiner
    "\ufeff",  # BOM / zero-width no-break space
    "\u00ad",  # soft hyphen
    "\u202e",  # right-to-left override
    "\u202d",  # left-to-right override
    "\u2067",  # right-to-left isolate
    "\u2069",  # pop directional isolate
    "\u061c",  # Arabic letter mark
]
COMBINING = [chr(c) for c in range(0x0300, 0x0370)]
ODD = [*DISGUISES, *COMBINING[:8], "\x00", "\u3000", "\ufe0f", "ﾞ", "ㇰ", "ℌ", "ǅ", "ß", "İ"]

any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
odd_text = st.lists(
    st.one_of(st.sampled_from(ODD), st.characters(exclude_categories=("Cs",))), max_size=80
).map("".join)
repeated = st.builds(
    lambda piece, times: piece * times,
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=4),
    st.integers(min_value=500, max_value=5_000),
)
prompts = st.one_of(any_text, odd_text, repeated)

# --- facts ----------------------------------------------------------------------------------

ids = st.sampled_from([f"c{n}" for n in range(6)])
names = st.one_of(
    st.text(string.ascii_letters + " -", min_size=1, max_size=20),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12),
    st.sampled_from(["Hoshi-chan", "桜ハナ", "ほしちゃん", "Zoë", "!!!", "\u200b", "Ｌｉｎｋ"]),
)
terms = st.builds(
    Terms,
    audience=st.sampled_from(AUDIENCES),
    audience_allowlist=st.lists(st.sampled_from([LICENSEE, "someone"]), max_size=2).map(tuple),
    commercial_use=st.booleans(),
    allowed_actions=st.lists(st.sampled_from(ACTIONS), unique=True).map(tuple),
    banned_categories=st.lists(st.sampled_from(CATEGORIES), unique=True).map(tuple),
    banned_words=st.lists(st.one_of(names, any_text), max_size=3).map(tuple),
    banned_costars=st.lists(ids, max_size=2).map(tuple),
    max_rating=st.sampled_from(RATINGS),
    territory_mode=st.sampled_from(["allow", "block"]),
    territories=st.lists(st.sampled_from(["JP", "US", "FR", "BR"]), max_size=2).map(tuple),
    starts_at=st.none() | st.just(NOW - timedelta(days=1)) | st.just(NOW + timedelta(days=1)),
    ends_at=st.none() | st.just(NOW - timedelta(days=1)) | st.just(NOW + timedelta(days=1)),
    max_generations_per_licensee=st.none() | st.integers(0, 3),
    max_works=st.none() | st.integers(0, 3),
    per_generation_fee=st.integers(0, 500),
    rev_share_bps=st.integers(0, 10_000),
    max_stack_bps=st.integers(0, 10_000),
)


@st.composite
def characters(draw):
    found = {}
    for cid in draw(st.lists(ids, unique=True, max_size=5)):
        grant = draw(
            st.none()
            | st.builds(
                GrantFacts,
                grant_id=st.just(f"g-{cid}"),
                status=st.sampled_from(["active", "pending_approval", "ended", "revoked"]),
                offer_id=st.just(f"o-{cid}"),
                terms_hash=st.just("hash"),
                terms=terms,
                generations_used=st.integers(0, 4),
                works_total=st.integers(0, 4),
            )
        )
        found[cid] = CharacterFacts(
            cid,
            draw(names),
            draw(st.sampled_from(["character", "likeness"])),
            "Studio",
            disallowed=draw(st.booleans()),
            status=draw(st.sampled_from(["active", "active", "suspended", "archived"])),
            grant=grant,
            audience=draw(st.builds(AudienceFacts, st.booleans(), st.booleans(), st.booleans())),
        )
    return found


contexts = st.builds(
    Context,
    now=st.just(NOW),
    action=st.sampled_from(["generate", "remix"]),
    commercial=st.booleans(),
    territory=st.none() | st.sampled_from(["JP", "US", "ZZ"]),
    rating=st.sampled_from(RATINGS),
)


@st.composite
def parents(draw, known):
    if not draw(st.booleans()):
        return None
    parent_ids = tuple(draw(st.lists(ids, unique=True, max_size=3)))
    return ParentFacts(
        "w-parent",
        parent_ids,
        tuple((cid, draw(terms)) for cid in parent_ids if cid in known and draw(st.booleans())),
    )


# --- the engine -----------------------------------------------------------------------------


@FUZZ
@given(data=st.data(), prompt=prompts)
def test_screening_and_evaluation_always_decide_and_name_a_term_for_every_reason(data, prompt):
    # given: random characters, their names and aliases registered in every mode
    cast = data.draw(characters(), label="characters")
    aliases = data.draw(st.lists(st.tuples(ids, names, st.sampled_from(MODES)), max_size=4))
    registry = Registry(
        [*(Entry(c.id, c.name) for c in cast.values()), *(Entry(*a) for a in aliases)]
    )
    requested = data.draw(st.lists(st.one_of(ids, st.just("nobody")), unique=True, max_size=4))

    # when
    mentions = registry.screen(prompt)
    decision = evaluate(
        prompt=prompt,
        licensee_id=LICENSEE,
        requested_ids=requested,
        mentions=mentions,
        characters=cast,
        context=data.draw(contexts),
        parent=data.draw(parents(cast)),
    )

    # then
    assert isinstance(decision.allowed, bool)
    assert isinstance(decision.reasons, tuple)
    for reason in decision.reasons:
        assert reason.term and isinstance(reason.term, str), reason
        assert reason.code and reason.message, reason
        assert reason.severity in ("refuse", "review"), reason
    assert decision.allowed == (not decision.refusals)
    for cid in requested:
        if cid not in cast:
            assert any(r.code == "unknown_character" and cid in r.message for r in decision.reasons)
    json.dumps(decision.to_dict())  # what the API and the audit log store


@FUZZ
@given(text=prompts)
def test_normalising_twice_changes_nothing(text):
    once = normalize(text)

    assert normalize(once) == once
    assert normalize(normalize(text, casefold=False), casefold=False) == normalize(
        text, casefold=False
    )


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in text)


@st.composite
def disguised(draw, name: str) -> str:
    """``name`` rewritten into something NFKC + casefold (and the screening's own folds)
    bring back: some letters fullwidth, others upper-cased, accented with combining
    marks, with zero-width and direction-control characters between them."""
    out = []
    for letter in name:
        how = draw(st.sampled_from(["plain", "fullwidth", "upper", "accent"]))
        if how == "fullwidth":
            letter = _fullwidth(letter)
        elif how == "upper":
            letter = letter.upper()
        elif how == "accent" and letter.isalpha():
            letter += draw(st.sampled_from(COMBINING[:0x30]))
        out.append(letter)
        out.append("".join(draw(st.lists(st.sampled_from(DISGUISES), max_size=2))))
    return "".join(out)


@FUZZ
@given(data=st.data(), name=st.text(string.ascii_letters, min_size=3, max_size=12))
def test_a_registered_name_in_disguise_is_still_caught(data, name):
    # given
    registry = Registry([Entry("c-target", name), Entry("c-other", "Kuro Neko")])
    before = data.draw(st.sampled_from(["", "draw ", "a video of ", "「"]))
    after = data.draw(st.sampled_from(["", " dancing", " raising a beer", "」です"]))

    # when
    prompt = before + data.draw(disguised(name), label="disguised") + after
    found = {m.character_id for m in registry.screen(prompt)}

    # then
    assert "c-target" in found, (name, prompt)


# --- over HTTP ------------------------------------------------------------------------------


@pytest.fixture
def screener(db, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "screen": "100000/m"}
    creator = UserFactory()
    hoshi = CharacterFactory(name="Hoshi-chan")
    grant_for(hoshi, creator)
    CharacterFactory(name="Kuro Neko", disallowed=True)
    client = APIClient()
    client.force_authenticate(creator)
    return client, str(hoshi.pk)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    prompt=st.one_of(prompts, st.builds(lambda p: "Hoshi-chan " + p, odd_text)),
    lone_surrogate=st.booleans(),
    with_hoshi=st.booleans(),
)
def test_the_screen_endpoint_never_answers_5xx(screener, prompt, lone_surrogate, with_hoshi):
    # given: the body as raw JSON, which may carry what no Python str holds (a lone
    # surrogate escape) as well as NUL and every other character
    client, hoshi = screener
    body = json.dumps({"prompt": prompt, "character_ids": [hoshi] if with_hoshi else []})
    if lone_surrogate:
        body = body.replace('"prompt": "', '"prompt": "\\ud800', 1)

    # when
    response = client.post("/api/v1/screen/", body, content_type="application/json")

    # then
    assert response.status_code < 500, response.content[:300]
    if response.status_code == 200:
        assert isinstance(response.json()["allowed"], bool)
        assert all(reason["term"] for reason in response.json()["reasons"])
    else:
        assert response.status_code == 400
        assert response.json()["field"] in ("prompt", None)


@pytest.mark.parametrize(
    ("escaped", "code"),
    [("\\ud800", "surrogate_characters_not_allowed"), ("\\u0000", "null_characters_not_allowed")],
)
def test_a_prompt_no_database_text_can_hold_is_a_400_naming_the_prompt(screener, escaped, code):
    # given: a lone surrogate or a NUL, which PostgreSQL text (the audit log) cannot store
    client, hoshi = screener
    body = '{"prompt": "Hoshi-chan ' + escaped + ' dances", "character_ids": ["' + hoshi + '"]}'

    # when
    response = client.post("/api/v1/screen/", body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (code, "prompt")


STAND_INS = {"o": "0", "i": "1", "l": "1", "e": "3", "a": "4", "s": "5", "t": "7"}
LOOK_ALIKES = {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у"}


@st.composite
def rewritten(draw, name: str) -> str:
    """``name`` as a creator dodging a filter writes it: letters swapped for digits or
    for Cyrillic look-alikes, spaced or dotted letter by letter, or its words joined."""
    how = draw(st.sampled_from(["digits", "cyrillic", "spaced", "dotted", "joined"]))
    if how == "digits":
        # The first letter stays a letter: digits alone ("130") are not taken for a name.
        return name[0] + "".join(
            STAND_INS.get(c, c) if draw(st.booleans()) else c for c in name[1:]
        )
    if how == "cyrillic":
        return "".join(LOOK_ALIKES.get(c, c) for c in name)
    if how == "spaced":
        return " ".join(name.replace(" ", ""))
    if how == "dotted":
        return ".".join(name.replace(" ", ""))
    return name.replace(" ", "")


@FUZZ
@given(
    data=st.data(),
    name=st.lists(st.text(string.ascii_lowercase, min_size=3, max_size=8), min_size=1, max_size=3),
)
def test_a_name_rewritten_to_dodge_the_filter_is_still_caught(data, name):
    registry = Registry([Entry("c-target", " ".join(name))])

    prompt = "a video of " + data.draw(rewritten(" ".join(name)), label="rewritten") + " dancing"

    assert "c-target" in {m.character_id for m in registry.screen(prompt)}, prompt


@pytest.mark.parametrize(
    "prompt",
    [
        "Hoshi-chan \u202e\u2066reversed\u2069\u202c and \u200f\u061c marks",
        "Hoshi-chan " + "\u0301" * 10_000,
        "Hoshi-chan dances " * 6_000,  # about 100 KB
        "\U0001f600" * 3_000,
        "\ufeff\u200b\u2060" * 500,
    ],
)
def test_hostile_unicode_prompts_get_a_decision_or_a_400_never_a_5xx(screener, prompt):
    client, hoshi = screener

    response = client.post(
        "/api/v1/screen/", {"prompt": prompt, "character_ids": [hoshi]}, format="json"
    )

    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400:
        assert response.json()["field"] == "prompt" and response.json()["detail"]
    else:
        assert isinstance(response.json()["allowed"], bool)
