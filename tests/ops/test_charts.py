"""The shared SVG chart geometry (config/charts.py) used by the earnings page and the
rightsholder dashboard."""

import itertools
from datetime import date

import pytest

from core.charts import Datum, bar_chart, column_chart, scale, time_buckets


def test_scale_maps_the_top_value_to_the_whole_span_and_clamps_the_rest():
    assert scale(50, 100, 120) == 60.0
    assert scale(100, 100, 120) == 120.0
    assert scale(150, 100, 120) == 120.0
    assert scale(-5, 100, 120) == 0.0
    assert scale(7, 0, 120) == 0.0


def test_tallest_column_fills_the_plot_and_others_scale_to_it():
    # given: a 600 x 180 chart with 24 px of padding, so the plot is 132 px tall
    data = [Datum("1 Nov", (10,), "ten"), Datum("2 Nov", (5,), "five"), Datum("3 Nov", (0,), "")]

    # when
    chart = column_chart(data, width=600, height=180, pad=24)

    # then
    tall, half, empty = (c.segments[0] for c in chart.columns)
    assert chart.baseline == 156.0 and chart.top_value == 10
    assert (tall.y, tall.h) == (24.0, 132.0)
    assert (half.y, half.h) == (90.0, 66.0)
    assert (empty.y, empty.h) == (156.0, 0.0)
    assert [c.title for c in chart.columns] == ["ten", "five", ""]
    assert (chart.first_label, chart.last_label) == ("1 Nov", "3 Nov")


def test_columns_are_evenly_spaced_and_stay_inside_the_view_box():
    chart = column_chart([Datum(str(n), (n,)) for n in range(30)], width=600, pad=24)

    xs = [c.x for c in chart.columns]
    gaps = {round(b - a, 1) for a, b in itertools.pairwise(xs)}
    assert len(gaps) == 1
    assert xs[0] >= 24 and xs[-1] + chart.columns[-1].w <= 600


def test_stacked_segments_sit_on_each_other_and_add_up_to_the_column():
    chart = column_chart(
        [Datum("a", (3, 1)), Datum("b", (0, 2))], series=("allowed", "refused"), pad=20
    )

    a, b = chart.columns
    allowed, refused = a.segments
    assert [s.series for s in a.segments] == ["allowed", "refused"]
    assert allowed.y + allowed.h == chart.baseline  # the first series sits on the axis
    assert refused.y + refused.h == allowed.y  # the next one on top of it
    assert refused.y == a.y == 20.0  # the tallest stack reaches the top of the plot
    assert b.segments[0].h == 0.0 and b.segments[1].h == pytest.approx(70.0)


def test_zero_data_draws_flat_columns_and_no_data_draws_none():
    zeros = column_chart([Datum("a", (0,)), Datum("b", (0,))])
    empty = column_chart([])

    assert zeros.top_value == 0
    assert all(s.h == 0.0 and s.y == zeros.baseline for c in zeros.columns for s in c.segments)
    assert empty.columns == () and empty.first_label == "" and empty.last_label == ""


def test_one_column_is_full_height_centred_in_its_slot_and_no_wider_than_the_cap():
    chart = column_chart([Datum("only", (42,), "42 things")], width=600, height=180, pad=24)

    [column] = chart.columns
    assert column.segments[0].h == 132.0
    assert column.w == 40 and column.x == round(24 + (576 - 40) / 2, 1)


def test_many_columns_are_narrower_than_the_cap_and_keep_their_gaps():
    chart = column_chart([Datum(str(n), (n,)) for n in range(30)], width=600, pad=24)

    assert {c.w for c in chart.columns} == {round(576 / 30 * 0.7, 1)}
    assert chart.middle_label == "15" and chart.first_label == "0"


def test_recent_days_are_bucketed_per_day_with_the_empty_days_in_between():
    end = date(2026, 12, 3)

    unit, buckets = time_buckets([(date(2026, 12, 1), 500), (end, 200)], end=end, days=30)

    assert unit == "day" and len(buckets) == 30
    assert buckets[0] == (date(2026, 11, 4), 0)
    assert buckets[-3:] == [(date(2026, 12, 1), 500), (date(2026, 12, 2), 0), (end, 200)]


def test_a_single_earning_day_is_one_bar_among_thirty():
    unit, buckets = time_buckets([(date(2026, 12, 3), 270)], end=date(2026, 12, 3))
    chart = column_chart([Datum(f"{d:%d}", (v,)) for d, v in buckets])

    assert unit == "day" and sum(1 for c in chart.columns if c.total) == 1
    assert max(c.w for c in chart.columns) < 40


def test_older_earnings_are_bucketed_per_week_from_monday():
    end = date(2026, 12, 3)  # a Thursday
    points = [(date(2026, 10, 1), 100), (date(2026, 11, 30), 30), (end, 20)]

    unit, buckets = time_buckets(points, end=end, weeks=12)

    assert unit == "week" and len(buckets) == 12
    assert buckets[-1] == (date(2026, 11, 30), 50)  # Monday 30 Nov: both of that week
    assert all(start.weekday() == 0 for start, _ in buckets)
    assert sum(amount for _, amount in buckets) == 150


def test_earnings_older_than_the_window_end_the_window_at_the_last_point():
    unit, buckets = time_buckets([(date(2025, 1, 8), 70)], end=date(2026, 12, 3), weeks=4)

    assert unit == "week" and buckets[-1] == (date(2025, 1, 6), 70)
    assert time_buckets([], end=date(2026, 12, 3)) == ("day", [])


def test_negative_values_count_as_zero():
    chart = column_chart([Datum("refund", (-500,)), Datum("sale", (100,))])

    assert chart.columns[0].segments[0].h == 0.0 and chart.columns[0].total == 0
    assert chart.top_value == 100


def test_horizontal_bars_keep_their_order_and_scale_to_the_longest():
    chart = bar_chart(
        [Datum("banned word", (4,), "4"), Datum("territory", (2,), "2")],
        width=600,
        label_width=180,
        value_width=48,
    )

    first, second = chart.bars
    assert [b.label for b in chart.bars] == ["banned word", "territory"]
    assert first.w == 372.0 and second.w == 186.0
    assert first.value_x == 180 + 372 + 6
    assert second.y > first.y and chart.height == 60
    assert first.text == "4"


def test_bar_chart_of_one_and_of_nothing():
    [one] = bar_chart([Datum("solo", (0,), text="$0.00")]).bars
    empty = bar_chart([])

    assert one.w == 0.0 and one.text == "$0.00"
    assert empty.bars == () and empty.height == 30
