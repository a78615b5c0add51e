import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import CurrencyMismatch, Money, allocate, format_bps, format_minor

amounts = st.integers(min_value=-(10**12), max_value=10**12)
weights = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=12).filter(
    lambda w: sum(w) > 0
)


@given(amount=amounts, weights=weights)
def test_parts_always_sum_to_the_total(amount, weights):
    parts = allocate(Money(amount, "USD"), weights)

    assert sum(p.amount for p in parts) == amount
    assert len(parts) == len(weights)
    assert all(p.currency == "USD" for p in parts)


@given(amount=st.integers(min_value=0, max_value=10**12), weights=weights)
def test_parts_are_never_negative_and_each_within_one_unit_of_its_exact_share(amount, weights):
    parts = allocate(Money(amount, "JPY"), weights)

    for part, weight in zip(parts, weights, strict=True):
        exact = amount * weight / sum(weights)
        assert part.amount >= 0
        assert abs(part.amount - exact) < 1
        if weight == 0:
            assert part.amount == 0


@given(amount=amounts, weights=weights)
def test_allocation_is_stable(amount, weights):
    assert allocate(Money(amount, "EUR"), weights) == allocate(Money(amount, "EUR"), list(weights))


@given(amount=st.integers(min_value=0, max_value=10**9), weights=weights)
def test_a_reversal_mirrors_the_original(amount, weights):
    forward = allocate(Money(amount, "USD"), weights)
    backward = allocate(Money(-amount, "USD"), weights)

    assert [p.amount for p in backward] == [-p.amount for p in forward]


def test_ties_go_to_the_earlier_parts():
    assert [p.amount for p in allocate(Money(100, "USD"), [1, 1, 1])] == [34, 33, 33]
    assert [p.amount for p in allocate(Money(5, "USD"), [2_500] * 4)] == [2, 1, 1, 1]


def test_worked_example_with_rounding():
    # 15% and 10% of ¥999: exact shares 149.85, 99.9, 749.25 → floors 149, 99, 749 (997);
    # the 2 yen left go to the largest remainders: .9 (99) then .85 (149).
    parts = allocate(Money(999, "JPY"), [1_500, 1_000, 7_500])

    assert [p.amount for p in parts] == [150, 100, 749]


def test_money_refuses_floats_mixed_currencies_and_unknown_codes():
    with pytest.raises(TypeError):
        Money(1.5, "USD")
    with pytest.raises(CurrencyMismatch):
        Money(1, "USD") + Money(1, "JPY")
    with pytest.raises(ValueError):
        Money(1, "usd")
    with pytest.raises(ValueError):
        Money(1, "XYZ")
    assert Money(150, "USD") - Money(50, "USD") == Money(100, "USD")
    assert str(Money(2_000, "USD")) == "$20.00"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (500, "JPY", "¥500"),
        (2000, "USD", "$20.00"),
        (123450, "EUR", "€1,234.50"),
        (5, "GBP", "£0.05"),
        (1000, "KRW", "₩1,000"),
        (1500, "KWD", "KWD1.500"),
        (999, "CHF", "CHF9.99"),
        (-285500, "USD", "-$2,855.00"),
    ],
)
def test_format_minor_uses_the_currency_exponent_and_symbol(amount, currency, expected):
    assert format_minor(amount, currency) == expected


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "expected"),
    [
        ("fr_FR", 123450, "EUR", "1\u202f234,50\xa0€"),
        ("de", 123450, "EUR", "1.234,50\xa0€"),
        ("ja_JP", 500, "JPY", "￥500"),
        ("fr_FR", 500, "JPY", "500\xa0JPY"),
        ("en_GB", 2000, "USD", "US$20.00"),
    ],
)
def test_amounts_follow_the_locale_and_keep_the_currency_digits(locale, amount, currency, expected):
    assert format_minor(amount, currency, locale) == expected


def test_the_request_locale_comes_from_accept_language(client):
    from core.locale import negotiate

    assert negotiate("ja-JP,ja;q=0.9,en;q=0.8") == "ja_JP"
    assert negotiate("xx-YY, fr;q=0.5") == "fr"
    assert negotiate("*") == "en_US"
    assert negotiate("") == "en_US"


@pytest.mark.parametrize(("bps", "expected"), [(1500, "15%"), (1250, "12.5%"), (5, "0.05%")])
def test_basis_points_read_as_a_percentage(bps, expected):
    assert format_bps(bps) == expected
