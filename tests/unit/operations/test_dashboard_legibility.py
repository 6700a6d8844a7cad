"""The dashboard picture reads at its own size: no text under 11 px, a gap where a
minute has no datapoint, every series named (or counted in a labelled aggregate), and
each panel's title saying the statistic and period it plots."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from matplotlib.text import Text

from petstore_cli.dashboard import (
    DPI,
    LEGEND_ENTRIES,
    AlarmState,
    DashboardView,
    Panel,
    Series,
    draw_figure,
)

END = datetime(2026, 12, 5, 12, 15, tzinfo=UTC)
START = END - timedelta(minutes=15)
MIN_TEXT_PX = 11


def minute(number: int) -> datetime:
    return START + timedelta(minutes=number)


def view_of(*panels: Panel) -> DashboardView:
    return DashboardView("petstore-operations", START, END, list(panels))


def time_series(title: str, series: list[Series], statistic: str = "Sum", **extra: Any) -> Panel:
    return Panel(title, "timeSeries", 0, 0, 6, 6, series=series, statistic=statistic, **extra)


def texts(figure: Any) -> list[Text]:
    return [text for text in figure.findobj(Text) if text.get_visible() and text.get_text()]


def legend_labels(figure: Any) -> list[str]:
    return [text.get_text() for legend in figure.legends for text in legend.get_texts()]


def test_a_minute_without_datapoints_breaks_the_line() -> None:
    sparse = Series("Errors", [minute(1), minute(2), minute(5)], [1.0, 2.0, 4.0])

    figure = draw_figure(view_of(time_series("Lambda errors", [sparse])))

    (line,) = figure.axes[0].get_lines()
    values = list(line.get_ydata())
    assert values[:2] == [1.0, 2.0] and values[-1] == 4.0
    assert math.isnan(values[2])
    assert line.get_marker() not in (None, "", "None")


def test_points_a_period_apart_stay_joined() -> None:
    steady = Series("Errors", [minute(1), minute(2), minute(3)], [1.0, 2.0, 3.0])

    figure = draw_figure(view_of(time_series("Lambda errors", [steady])))

    assert list(figure.axes[0].get_lines()[0].get_ydata()) == [1.0, 2.0, 3.0]


def test_the_legend_names_every_series_of_a_small_panel_even_without_data() -> None:
    series = [
        Series("PaymentsSucceeded", [minute(1)], [3.0]),
        Series("PaymentsDeclined", [minute(1)], [1.0]),
        Series("PaymentsRefunded"),
    ]

    figure = draw_figure(view_of(time_series("Payments", series)))

    assert legend_labels(figure) == [
        "PaymentsSucceeded",
        "PaymentsDeclined",
        "PaymentsRefunded (no data)",
    ]


def test_a_crowded_panel_names_the_busiest_and_counts_the_rest_in_one_line() -> None:
    functions = [Series(f"Function{index}", [minute(1)], [float(index)]) for index in range(12)]

    figure = draw_figure(view_of(time_series("Lambda errors", functions)))

    named = [f"Function{index}" for index in range(11, 11 - (LEGEND_ENTRIES - 1), -1)]
    others = 12 - len(named)
    assert legend_labels(figure) == [*named, f"{others} others (total)"]
    lines = figure.axes[0].get_lines()
    assert len(lines) == LEGEND_ENTRIES
    assert list(lines[-1].get_ydata()) == [sum(range(others))]


def test_the_aggregate_of_a_non_sum_panel_is_the_highest_value() -> None:
    functions = [Series(f"Function{index}", [minute(1)], [float(index)]) for index in range(9)]

    figure = draw_figure(view_of(time_series("Lambda duration (ms)", functions, "Average")))

    assert legend_labels(figure)[-1] == f"{9 - (LEGEND_ENTRIES - 1)} others (highest)"
    assert list(figure.axes[0].get_lines()[-1].get_ydata()) == [float(9 - LEGEND_ENTRIES)]


def test_each_title_says_the_statistic_period_and_unit() -> None:
    panels = [
        time_series("API latency per route (ms)", [Series("GET /pets")], "Average"),
        time_series("Saga duration", [Series("Average")], "Average, Maximum", unit="ms"),
        time_series("Payments", [Series("PaymentsSucceeded")], period_s=10),
        Panel("Saga funnel: orders", "bar", 0, 0, 6, 6, [Series("OrdersPlaced")], statistic="Sum"),
    ]

    figure = draw_figure(view_of(*panels))

    shown = {text.get_text().replace("\n", " ") for text in texts(figure)}
    assert {
        "API latency per route (ms) · Average per minute",
        "Saga duration (ms) · Average, Maximum per minute",
        "Payments · Sum per 10 s",
        "Saga funnel: orders · Sum, total over the window",
    } <= shown


def test_an_alarm_list_too_long_for_its_panel_counts_the_alarms_left_out() -> None:
    alarms = [AlarmState("petstore-Queue0-not-empty", "ALARM")] + [
        AlarmState(f"petstore-Queue{index}-not-empty", "OK") for index in range(1, 40)
    ]

    figure = draw_figure(view_of(Panel("Alarms", "alarm", 0, 0, 6, 6, alarms=alarms)))

    lines = [text.get_text() for text in texts(figure.axes[0])]
    listed = [line for line in lines if line.endswith("-not-empty")]
    assert listed[0] == "ALARM   Queue0-not-empty"
    assert lines[-1] == f"+{40 - len(listed)} more: {40 - len(listed)} OK"
    assert any("1 of 40 in ALARM" in text.get_text() for text in texts(figure))


def test_no_text_in_the_picture_is_smaller_than_11_px() -> None:
    panels = [
        time_series("Lambda errors", [Series(f"F{i}", [minute(1)], [1.0]) for i in range(9)]),
        Panel("Funnel", "bar", 6, 0, 6, 6, [Series("OrdersPlaced", [minute(1)], [2.0])]),
        Panel("Alarms", "alarm", 12, 0, 6, 6, alarms=[AlarmState("petstore-a", "OK")]),
        time_series("Nothing yet", [Series("Empty")]),
    ]

    figure = draw_figure(view_of(*panels))
    figure.canvas.draw()

    sizes = {text.get_text(): text.get_fontsize() * DPI / 72 for text in texts(figure)}
    assert len(sizes) > 20
    assert {text: px for text, px in sizes.items() if px < MIN_TEXT_PX} == {}


def test_a_panel_without_data_still_names_its_series() -> None:
    rows = [Series("SagaDuration Average"), Series("SagaDuration Maximum")]

    figure = draw_figure(view_of(time_series("Saga duration (ms)", rows, "Average, Maximum")))

    assert legend_labels(figure) == [
        "SagaDuration Average (no data)",
        "SagaDuration Maximum (no data)",
    ]
    assert "No data" in [text.get_text() for text in texts(figure.axes[0])]


def test_an_aggregate_of_rows_without_data_says_so() -> None:
    busy = [Series(f"Route{index}", [minute(1)], [1.0]) for index in range(3)]
    quiet = [Series(f"Quiet{index}") for index in range(10)]

    figure = draw_figure(view_of(time_series("API 5XX errors per route", busy + quiet)))

    labels = legend_labels(figure)
    assert labels[:3] == ["Route0", "Route1", "Route2"]
    assert labels[-1] == f"{13 - (LEGEND_ENTRIES - 1)} others (no data)"


def test_a_name_too_long_for_its_panel_keeps_its_start_and_end() -> None:
    name = "petstore-OrderStatusInventoryEventsDeadLetterQueueWithAVeryLongName-not-empty"
    alarms = [AlarmState(name, "ALARM"), AlarmState("petstore-Short-not-empty", "OK")]

    figure = draw_figure(view_of(Panel("Alarms", "alarm", 0, 0, 6, 6, alarms=alarms)))

    first = texts(figure.axes[0])[0].get_text()
    assert first.startswith("ALARM   OrderStatusInventoryEvents")
    assert first.endswith("-not-empty") and "…" in first
