from datetime import UTC, datetime

import pytest

from licensing.summary import summarize, summary_points
from licensing.terms import Terms, preset_terms

# Terms that restrict nothing the summary would mention.
OPEN = Terms(
    commercial_use=True, attribution_required=False, max_rating="mature", ai_training="allowed"
)


def test_non_commercial_remix_preset_reads_as_short_concrete_sentences():
    # given
    terms = preset_terms("non_commercial_remix", credit_text="Hoshi Studio").replace(
        banned_categories=("violence", "politics"), rev_share_bps=1500
    )

    # when
    text = summarize(terms, kind="character", rightsholder="Hoshi Studio")

    # then
    assert text == (
        "You may generate, remix and publish this character in non-commercial videos. "
        "Anyone may use this character. "
        "No violence or politics. "
        "No mature content. "
        "Credit 'Hoshi Studio'. "
        "15% of revenue goes to the rightsholder. "
        "Remixes must carry the same terms. "
        "The output may not be used to train AI models."
    )


def test_likeness_summary_names_the_likeness_and_the_review():
    # given
    terms = preset_terms("likeness_approved", credit_text="Aiko Tanaka")

    # when
    points = summary_points(terms, kind="likeness", rightsholder="Aiko Tanaka")

    # then
    assert points[:3] == [
        "You may generate and publish this likeness in non-commercial videos.",
        "Only people Aiko Tanaka approves may use this likeness; "
        "each video is reviewed before it is published.",
        "A video not reviewed within 3 days is refused.",
    ]
    assert "No violence, sexual content, hate speech, politics or defamation." in points
    assert "Videos must be suitable for all ages." in points
    assert points[-1] == "If the licence is revoked, your videos are deleted at once."
    assert not any("character" in point for point in points)


def test_fees_are_stated_in_the_offer_currency():
    # given
    yen = OPEN.replace(currency="JPY", per_generation_fee=500)
    dollars = OPEN.replace(currency="USD", upfront_fee=2000)

    # when
    yen_points = summary_points(yen, kind="character", rightsholder="Hoshi")
    dollar_points = summary_points(dollars, kind="character", rightsholder="Hoshi")

    # then
    assert "¥500 per video." in yen_points
    assert "A one-time fee of $20.00." in dollar_points


@pytest.mark.parametrize(("bps", "expected"), [(1500, "15%"), (1250, "12.5%"), (5, "0.05%")])
def test_revenue_share_reads_as_a_percentage(bps, expected):
    points = summary_points(OPEN.replace(rev_share_bps=bps), kind="character", rightsholder="H")

    assert f"{expected} of revenue goes to the rightsholder." in points


@pytest.mark.parametrize(
    ("mode", "codes", "expected"),
    [
        ("allow", ("JP", "FR"), "Only in Japan and France."),
        ("block", ("DE",), "Not in Germany."),
        ("allow", ("US", "KR", "TW"), "Only in the United States, South Korea and Taiwan."),
    ],
)
def test_territories_are_named_countries(mode, codes, expected):
    terms = OPEN.replace(territory_mode=mode, territories=codes)

    assert expected in summary_points(terms, kind="character", rightsholder="H")


def test_banned_costars_are_named_and_unknown_ones_described():
    # given
    terms = OPEN.replace(banned_costars=("c-luna", "c-kai", "c-unknown"))

    # when
    points = summary_points(
        terms, kind="character", rightsholder="H", costar_names={"c-luna": "Luna", "c-kai": "Kai"}
    )

    # then
    assert "This character must not appear with Luna, Kai or another character." in points


def test_long_banned_word_lists_are_cut_short():
    terms = OPEN.replace(banned_words=("a", "b", "c", "d", "e", "f", "g"))

    points = summary_points(terms, kind="character", rightsholder="H")

    assert "Some words are not allowed: 'a', 'b', 'c', 'd', 'e' and 2 more." in points


def test_window_and_caps_are_stated_plainly():
    # given
    terms = OPEN.replace(
        starts_at=datetime(2026, 1, 1, tzinfo=UTC),
        ends_at=datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        max_generations_per_licensee=10,
        max_licensees=5,
        max_works=1,
    )

    # when
    points = summary_points(terms, kind="character", rightsholder="H")

    # then
    assert points[2:] == [
        "From 1 Jan 2026 until 31 Dec 2026.",
        "At most 10 videos per creator.",
        "Limited to 5 creators.",
        "At most 1 video in total.",
    ]


def test_audience_and_approval_combinations():
    def audience(**changes):
        points = summary_points(OPEN.replace(**changes), kind="character", rightsholder="Mika")
        return points[1:]

    assert audience(audience="self") == ["Only Mika may use this character."]
    assert audience(audience="followers", audience_allowlist=("u1", "u2")) == [
        "Only followers of Mika may use this character.",
        "2 more people chosen by Mika may use it too.",
    ]
    assert audience(approval="per_licensee") == [
        "Anyone may use this character; Mika must approve each creator first."
    ]


def test_terms_that_restrict_nothing_leave_only_the_grant():
    points = summary_points(OPEN, kind="character", rightsholder="H")

    assert points == [
        "You may generate and publish this character in commercial and non-commercial videos.",
        "Anyone may use this character.",
    ]


def test_default_terms_produce_only_well_formed_sentences():
    # when
    points = summary_points(Terms(), kind="character", rightsholder="Hoshi Studio")

    # then
    assert points == [
        "You may generate and publish this character in non-commercial videos.",
        "Anyone may use this character.",
        "No mature content.",
        "Credit 'Hoshi Studio'.",
        "The output may not be used to train AI models.",
    ]
