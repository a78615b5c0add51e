"""The text checks of the surface sweep (tests/browser/checks.py) catch what issue 19
saw on the pages, and leave money written as money alone."""

import pytest

from tests.browser import checks


@pytest.mark.parametrize(
    "text",
    [
        "Tip stripe:pi_demo_tip_11",
        "Per-generation fee internal:generation:4f1c2a9e-77b0-4c1e-9a53-0d6f1e2b3c4d",
        "Not allowed: grant: You hold no licence",
        "Max stack bps",
        "rev_share_bps: Must be between 0 and 10000.",
        "In minor units (cents; yen).",
        "Work 4f1c2a9e-77b0-4c1e-9a53-0d6f1e2b3c4d",
    ],
)
def test_ids_and_internal_terms_are_caught(text):
    assert checks.jargon(text)


@pytest.mark.parametrize("text", ["release 270 USD", "-2855 USD", "Fee 1,500 JPY"])
def test_amounts_as_the_ledger_stores_them_are_caught(text):
    assert checks.raw_amounts(text)


@pytest.mark.parametrize(
    "text",
    [
        "Tip · $2.70 · ¥1,500 · -$28.55",
        "Every cent of revenue is split and paid.",
        "A 15% revenue share; grants end after 30 days.",
        "USD balance",
    ],
)
def test_plain_language_and_formatted_money_pass(text):
    assert checks.jargon(text) == []
    assert checks.raw_amounts(text) == []
