"""The split engine on worked examples, computed by hand in the comments."""

import pytest

from core.money import Money
from payments.split import Ancestor, LicenseShare, Party, split_money, split_weights

X = Party("organization", "x", "Studio X")  # rightsholder of Hoshi, entered at A
Y = Party("organization", "y", "Studio Y")  # rightsholder of Kuro, entered at B
A, B, C = (Party("user", n, f"Creator {n}") for n in "abc")


def _chain(model: str, max_stack_bps: int = 5_000):
    """C remixes B, which remixed A. Hoshi (15%) entered at A, two levels above C;
    Kuro (10%) entered at B, one level above C."""
    return split_weights(
        creator=C,
        licenses=[
            LicenseShare(X, "Hoshi", 1_500, model, level=2, max_stack_bps=max_stack_bps),
            LicenseShare(Y, "Kuro", 1_000, model, level=1, max_stack_bps=max_stack_bps),
        ],
        ancestors=[Ancestor(B, 1, model), Ancestor(A, 2, model)],
        platform_fee_bps=1_000,
        upstream_creator_bps=500,
    )


def _cents(lines, total=1_000):
    return {line.party.name: part.amount for line, part in split_money(Money(total, "USD"), lines)}


def test_absolute_three_deep_remix():
    # Every ancestor's share applies to C's revenue as is: X 15%, Y 10%, creators B and A
    # 5% each, platform 10%, C keeps 55%. Of $10.00: 150, 100, 50, 50, 100, 550.
    lines = _chain("absolute")

    assert [line.percent for line in lines] == [15, 10, 5, 5, 10, 55]
    assert _cents(lines) == {
        "Studio X": 150,
        "Studio Y": 100,
        "Creator b": 50,
        "Creator a": 50,
        "Cocreate": 100,
        "Creator c": 550,
    }


def test_relative_three_deep_remix_with_rounding():
    # A share of a share: X 15% x 0.15^2 = 0.3375%; Y 10% x 0.10 = 1%; creator B (one level
    # up) 5%; creator A 5% x 0.05 = 0.25%; platform 10%; C keeps 83.4125%.
    # Of $10.00 the exact cents are 3.375, 10, 50, 2.5, 100, 834.125: floors sum to 999,
    # and the one cent left goes to the largest remainder, creator A's .5.
    lines = _chain("relative")

    assert [line.percent for line in lines] == [0.3375, 1, 5, 0.25, 10, 83.4125]
    assert _cents(lines) == {
        "Studio X": 3,
        "Studio Y": 10,
        "Creator b": 50,
        "Creator a": 3,
        "Cocreate": 100,
        "Creator c": 834,
    }


def test_shares_above_the_stack_cap_are_scaled_down_proportionally():
    # Absolute claims total 35%, the cap is 30%: each is scaled by 30/35
    # (15 -> 12.857143, 10 -> 8.571429, 5 -> 4.285714 twice), leaving C 60%.
    lines = _chain("absolute", max_stack_bps=3_000)

    weights = [line.weight for line in lines]
    assert weights[:4] == [12_857_143, 8_571_429, 4_285_714, 4_285_714]
    assert sum(weights[:4]) == 30_000_000
    assert lines[-1].percent == 60


@pytest.mark.parametrize("total", [1, 7, 999, 1_000_001])
def test_every_split_sums_to_the_revenue(total):
    for model in ("absolute", "relative"):
        assert sum(_cents(_chain(model), total).values()) == total


def test_an_original_work_pays_its_rightsholder_the_platform_and_its_creator():
    lines = split_weights(
        creator=C,
        licenses=[LicenseShare(X, "Hoshi", 1_500, "absolute", level=0)],
        ancestors=[],
        platform_fee_bps=1_000,
        upstream_creator_bps=500,
    )

    assert [(line.role, line.percent) for line in lines] == [
        ("rightsholder", 15),
        ("platform", 10),
        ("creator", 75),
    ]
