"""The template's CloudWatch dashboard, rendered from the emulated CloudWatch's metrics:
one panel per widget, laid out on the dashboard's own grid, with its title and the
statistic and period it shows; metric widgets plot each metric over time (a `bar` widget
the total per metric, as CloudWatch draws it), an alarm widget shows each alarm's state.
A minute with no datapoint is a gap in the line, as CloudWatch draws missing data, and
every text is legible at the picture's own size.

`petstore dashboard --out FILE.png` writes it; the local cloud serves the same picture at
/_dashboard, beside the alarms' states.
"""

from __future__ import annotations

import html
import io
import json
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from petstore_cli.dashboard_picture import INTERVAL_S, DashboardPicture

GRID_COLUMNS = 24
INCHES_PER_COLUMN = 0.8
INCHES_PER_ROW = 0.8
TITLE_INCHES = 0.6
PAD_LEFT_INCHES, PAD_RIGHT_INCHES = 0.55, 0.15
PAD_TOP_INCHES, PAD_BOTTOM_INCHES = 0.55, 0.35
DPI = 80
FONT_PT = 10
"""10 pt at 80 dpi is 11 px: the smallest text in the picture."""
LINE_INCHES = FONT_PT * 1.6 / 72
LEGEND_ENTRIES = 6
"""Series named one by one in a panel's legend; past that, the quietest are drawn as one
aggregate line whose legend entry says how many it holds."""
CHAR_INCHES = FONT_PT * 0.6 / 72
"""A character's width (about 0.6 em), to wrap and cut text to its panel."""
STATE_COLOURS = {"OK": "#2e7d32", "ALARM": "#c62828", "INSUFFICIENT_DATA": "#616161"}
MAX_QUERIES_PER_REQUEST = 500


@dataclass(frozen=True)
class MetricRow:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str
    label: str | None = None


@dataclass
class Series:
    label: str
    timestamps: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str


@dataclass
class Panel:
    title: str
    kind: str
    """"timeSeries", "bar" or "alarm"."""
    x: int
    y: int
    width: int
    height: int
    series: list[Series] = field(default_factory=list)
    alarms: list[AlarmState] = field(default_factory=list)
    statistic: str = ""
    """The widget's statistic(s), as its rows ask for them: "Sum", "Average, Maximum"."""
    period_s: int = 60
    unit: str = ""
    """The widget's left y-axis label, where it sets one."""

    @property
    def heading(self) -> str:
        """The title with what the panel plots: "API latency (ms) · Average per minute"."""
        if self.kind == "alarm":
            firing = sum(alarm.state == "ALARM" for alarm in self.alarms)
            return f"{self.title} · {firing} of {len(self.alarms)} in ALARM"
        unit = f" ({self.unit})" if self.unit and self.unit not in self.title else ""
        if self.kind == "bar":
            return f"{self.title}{unit} · {self.statistic}, total over the window"
        return f"{self.title}{unit} · {self.statistic} per {_period_text(self.period_s)}"


def _period_text(period_s: int) -> str:
    if period_s == 60:
        return "minute"
    if period_s % 60 == 0:
        return f"{period_s // 60} min"
    return f"{period_s} s"


@dataclass
class DashboardView:
    name: str
    start: datetime
    end: datetime
    panels: list[Panel]


# ---------------------------------------------------------------- reading the emulator


def dashboard_view(
    cloudwatch: Any,
    name: str,
    *,
    minutes: int = 15,
    period_s: int | None = None,
    now: datetime | None = None,
) -> DashboardView:
    """The dashboard's widgets with their data over the last `minutes`; `period_s`
    replaces the widgets' period (a local run spans minutes, not hours)."""
    end = (now or datetime.now(UTC)).replace(microsecond=0)
    start = end - timedelta(minutes=minutes)
    body = _json(cloudwatch.get_dashboard(DashboardName=name)["DashboardBody"])
    panels = []
    for widget in body.get("widgets", []):
        properties = widget.get("properties", {})
        panel = Panel(
            title=str(properties.get("title", "")),
            kind="alarm" if widget.get("type") == "alarm" else properties.get("view", "timeSeries"),
            x=int(widget.get("x", 0)),
            y=int(widget.get("y", 0)),
            width=int(widget.get("width", 6)),
            height=int(widget.get("height", 6)),
        )
        if panel.kind == "alarm":
            panel.alarms = _alarm_states(cloudwatch, properties.get("alarms", []))
        elif widget.get("type") == "metric":
            panel.period_s = period_s or int(properties.get("period", 60))
            rows = metric_rows(properties)
            panel.statistic = ", ".join(dict.fromkeys(row.stat for row in rows))
            panel.unit = str(properties.get("yAxis", {}).get("left", {}).get("label", ""))
            panel.series = _series(cloudwatch, rows, panel.period_s, start, end)
        panels.append(panel)
    return DashboardView(name, start, end, panels)


def only_dashboard(cloudwatch: Any) -> str:
    names = [entry["DashboardName"] for entry in cloudwatch.list_dashboards()["DashboardEntries"]]
    if len(names) != 1:
        raise LookupError(f"Expected one dashboard in the emulator, found: {names or 'none'}")
    return str(names[0])


def metric_rows(properties: dict[str, Any]) -> list[MetricRow]:
    """A metric widget's rows: [namespace, name, dimension, value, …, {options}]."""
    rows = []
    for raw in properties.get("metrics", []):
        options = raw[-1] if raw and isinstance(raw[-1], dict) else {}
        fields = [str(item) for item in raw if not isinstance(item, dict)]
        dimensions = tuple(zip(fields[2::2], fields[3::2], strict=False))
        stat = str(options.get("stat") or properties.get("stat") or "Average")
        rows.append(MetricRow(fields[0], fields[1], dimensions, stat, options.get("label")))
    return rows


def _series(
    cloudwatch: Any, rows: list[MetricRow], period: int, start: datetime, end: datetime
) -> list[Series]:
    labels = row_labels(rows)
    queries = [
        {
            "Id": f"m{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": row.namespace,
                    "MetricName": row.name,
                    "Dimensions": [
                        {"Name": key, "Value": value} for key, value in sorted(row.dimensions)
                    ],
                },
                "Period": period,
                "Stat": row.stat,
            },
        }
        for index, row in enumerate(rows)
    ]
    found: dict[str, Series] = {}
    for first in range(0, len(queries), MAX_QUERIES_PER_REQUEST):
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=queries[first : first + MAX_QUERIES_PER_REQUEST],
            StartTime=start,
            EndTime=end,
            ScanBy="TimestampAscending",
        )
        for result in answer["MetricDataResults"]:
            pairs = sorted(
                (timestamp, float(value))
                for timestamp, value in zip(result["Timestamps"], result["Values"], strict=True)
                if value is not None
            )
            found[result["Id"]] = Series(
                labels[int(result["Id"][1:])],
                [timestamp for timestamp, _ in pairs],
                [value for _, value in pairs],
            )
    return [found.get(f"m{index}", Series(labels[index])) for index in range(len(rows))]


def row_labels(rows: list[MetricRow]) -> list[str]:
    """What tells the rows apart: the metric name, the dimension values or the statistic
    that differ between them (a stack prefix all names share left out)."""
    if not rows:
        return []
    parts = []
    for row in rows:
        values = {key: value for key, value in row.dimensions}
        parts.append({"metric": row.name, **values, "stat": row.stat})
    varying = [
        key
        for key in dict.fromkeys(key for part in parts for key in part)
        if len({part.get(key) for part in parts}) > 1
    ]
    labels = []
    for row, part in zip(rows, parts, strict=True):
        shown = " ".join(part[key] for key in varying if key in part) or row.name
        labels.append(row.label or shown)
    return _without_shared_prefix(labels)


def _without_shared_prefix(labels: list[str]) -> list[str]:
    if len(labels) < 2:
        return labels
    first, last = min(labels), max(labels)
    length = 0
    while length < len(first) and first[length] == last[length]:
        length += 1
    cut = first[:length].rfind("-") + 1
    return [label[cut:] for label in labels] if cut else labels


def _alarm_states(cloudwatch: Any, arns: list[str]) -> list[AlarmState]:
    names = [arn.rsplit(":", 1)[-1] for arn in arns]
    states: dict[str, str] = {}
    for first in range(0, len(names), 100):
        answer = cloudwatch.describe_alarms(AlarmNames=names[first : first + 100])
        states |= {alarm["AlarmName"]: alarm["StateValue"] for alarm in answer["MetricAlarms"]}
    return [AlarmState(name, states.get(name, "INSUFFICIENT_DATA")) for name in names]


def _json(text: str) -> dict[str, Any]:
    document = json.loads(text)
    return document if isinstance(document, dict) else {}


# ---------------------------------------------------------------- drawing


def render_png(view: DashboardView, out: BinaryIO) -> int:
    """Draws the dashboard as a PNG into `out`; the number of panels (plots) drawn."""
    figure = draw_figure(view)
    figure.savefig(out, format="png")
    return len(figure.axes)


def draw_figure(view: DashboardView) -> Any:
    """The dashboard as a matplotlib Figure, one axes per widget in the widgets' order."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max((panel.y + panel.height for panel in view.panels), default=1)
    width = GRID_COLUMNS * INCHES_PER_COLUMN
    height = rows * INCHES_PER_ROW + TITLE_INCHES
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.suptitle(
        f"{view.name}   {view.start:%Y-%m-%d %H:%M} to {view.end:%H:%M} UTC",
        fontsize=FONT_PT + 6,
        y=1 - 0.15 / height,
        va="top",
    )
    for panel in view.panels:
        cell = _Cell(panel, width, height)
        cell.title(figure)
        DRAWERS.get(panel.kind, _draw_time_series)(figure, cell, view)
    return figure


@dataclass
class _Cell:
    """A widget's cells on the dashboard grid, in inches from the figure's top left, and
    the figure fractions matplotlib places things by."""

    panel: Panel
    figure_width: float
    figure_height: float

    @property
    def left(self) -> float:
        return self.panel.x * INCHES_PER_COLUMN

    @property
    def right(self) -> float:
        return (self.panel.x + self.panel.width) * INCHES_PER_COLUMN

    @property
    def top(self) -> float:
        return TITLE_INCHES + self.panel.y * INCHES_PER_ROW

    @property
    def bottom(self) -> float:
        return TITLE_INCHES + (self.panel.y + self.panel.height) * INCHES_PER_ROW

    def point(self, left: float, top: float) -> tuple[float, float]:
        return left / self.figure_width, 1 - top / self.figure_height

    def title(self, figure: Any) -> None:
        x, y = self.point(self.left + 0.1, self.top + 0.1)
        figure.text(x, y, self.heading_lines(), fontsize=FONT_PT + 1, va="top", ha="left")

    def heading_lines(self) -> str:
        columns = int((self.right - self.left - 0.2) / (CHAR_INCHES * 1.1))
        return "\n".join(textwrap.wrap(self.panel.heading, columns, max_lines=2, placeholder="…"))

    def axes(self, figure: Any, *, bottom_lines: int = 0, ticks: bool = True) -> Any:
        """The plot below the title, above its tick labels and `bottom_lines` of legend."""
        left = self.left + (PAD_LEFT_INCHES if ticks else 0.1)
        right = self.right - PAD_RIGHT_INCHES
        top = self.top + PAD_TOP_INCHES
        bottom = self.bottom - (PAD_BOTTOM_INCHES if ticks else 0.1) - bottom_lines * LINE_INCHES
        x, y = self.point(left, bottom)
        box = (x, y, (right - left) / self.figure_width, (bottom - top) / self.figure_height)
        return figure.add_axes(box)

    def lines_below(self, axes: Any) -> tuple[float, float]:
        """Where text below the plot and its tick labels starts."""
        _, bottom, _, _ = axes.get_position().bounds
        return self.point(self.left + 0.1, (1 - bottom) * self.figure_height + 0.3)

    def text_columns(self) -> int:
        return int((self.right - self.left - 0.2) / CHAR_INCHES)


def with_gaps(series: Series, period_s: int) -> tuple[list[datetime], list[float]]:
    """The series' points with a NaN wherever a period has no datapoint, so the line breaks
    there instead of joining the points on either side."""
    timestamps: list[datetime] = []
    values: list[float] = []
    step = timedelta(seconds=period_s)
    for timestamp, value in zip(series.timestamps, series.values, strict=True):
        if timestamps and timestamp - timestamps[-1] > step * 1.5:
            timestamps.append(timestamps[-1] + step)
            values.append(math.nan)
        timestamps.append(timestamp)
        values.append(value)
    return timestamps, values


AGGREGATES: dict[str, tuple[str, Callable[[list[float]], float]]] = {
    "Sum": ("total", sum),
    "SampleCount": ("total", sum),
    "Minimum": ("lowest", min),
}


def _legend_series(panel: Panel) -> list[Series]:
    """What the legend names: every row if they fit, else the busiest rows one by one and
    the rest as one aggregate series (totalled for a Sum, the highest otherwise). A label
    says when its series has no datapoint in the window."""
    ranked = sorted(panel.series, key=lambda series: -max(series.values, default=-math.inf))
    if len(ranked) <= LEGEND_ENTRIES:
        return [_marked(series) for series in ranked]
    named, rest = ranked[: LEGEND_ENTRIES - 1], ranked[LEGEND_ENTRIES - 1 :]
    how, combine = AGGREGATES.get(panel.statistic, ("highest", max))
    by_time: dict[datetime, list[float]] = {}
    for series in rest:
        for timestamp, value in zip(series.timestamps, series.values, strict=True):
            by_time.setdefault(timestamp, []).append(value)
    times = sorted(by_time)
    label = f"{len(rest)} others ({how if times else 'no data'})"
    aggregate = Series(label, times, [combine(by_time[time]) for time in times])
    return [*(_marked(series) for series in named), aggregate]


def _marked(series: Series) -> Series:
    return series if series.values else Series(f"{series.label} (no data)")


def _shortened(text: str, columns: int) -> str:
    """`text` in at most `columns` characters, cut in the middle: the start and the end of
    a resource name are what tell it apart."""
    if len(text) <= columns:
        return text
    tail = min(14, (columns - 1) // 3)
    return f"{text[: columns - 1 - tail]}…{text[-tail:]}"


def _draw_time_series(figure: Any, cell: _Cell, view: DashboardView) -> None:
    from matplotlib.dates import AutoDateLocator, DateFormatter

    panel = cell.panel
    shown = _legend_series(panel)
    axes = cell.axes(figure, bottom_lines=len(shown))
    for series in shown:
        times, values = with_gaps(series, panel.period_s)
        axes.plot(times, values, marker="o", markersize=3, linewidth=1.4)
    axes.set_xlim(view.start, view.end)
    axes.xaxis.set_major_locator(AutoDateLocator(maxticks=6))
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    axes.tick_params(labelsize=FONT_PT)
    axes.grid(alpha=0.3)
    if any(series.values for series in shown):
        axes.set_ylim(bottom=0)
    else:
        _no_data(axes)
    if not shown:
        return
    columns = cell.text_columns() - 4
    figure.legend(
        axes.get_lines(),
        [_shortened(series.label, columns) for series in shown],
        loc="upper left",
        bbox_to_anchor=cell.lines_below(axes),
        fontsize=FONT_PT,
        frameon=False,
        borderaxespad=0,
        borderpad=0,
        labelspacing=0.25,
        handlelength=1.5,
    )


def _draw_bars(figure: Any, cell: _Cell, view: DashboardView) -> None:
    """One horizontal bar per row, its name and total written on it."""
    axes = cell.axes(figure)
    totals = [sum(series.values) for series in cell.panel.series]
    places = range(len(totals))
    axes.barh(places, totals, color="#90caf9")
    for place, series, total in zip(places, cell.panel.series, totals, strict=True):
        axes.text(0, place, f" {series.label}: {total:g}", va="center", fontsize=FONT_PT)
    axes.set_yticks([])
    axes.invert_yaxis()
    axes.tick_params(labelsize=FONT_PT)
    axes.grid(axis="x", alpha=0.3)
    axes.set_xlim(0, max([*totals, 1]) * 1.1)


STATE_WORDS = {"ALARM": "ALARM", "OK": "OK", "INSUFFICIENT_DATA": "NO DATA"}
STATE_ORDER = ["ALARM", "INSUFFICIENT_DATA", "OK"]


def _draw_alarms(figure: Any, cell: _Cell, view: DashboardView) -> None:
    """One line per alarm, those in ALARM first; when they do not all fit, the last line
    counts the rest by state."""
    axes = cell.axes(figure, ticks=False)
    axes.set_axis_off()
    if not cell.panel.alarms:
        _no_data(axes)
        return
    ordered = sorted(
        cell.panel.alarms,
        key=lambda alarm: STATE_ORDER.index(alarm.state) if alarm.state in STATE_ORDER else 1,
    )
    names = _without_shared_prefix([alarm.name for alarm in ordered])
    height = axes.get_position().height * cell.figure_height
    fitting = max(int(height / LINE_INCHES), 1)
    listed = len(ordered) if len(ordered) <= fitting else fitting - 1
    columns = cell.text_columns()
    lines = []
    for alarm, name in zip(ordered[:listed], names, strict=False):
        line = f"{STATE_WORDS.get(alarm.state, alarm.state):<8}{name}"
        lines.append((_shortened(line, columns), alarm.state))
    rest = ordered[listed:]
    if rest:
        counts = ", ".join(
            f"{sum(alarm.state == state for alarm in rest)} {STATE_WORDS[state]}"
            for state in STATE_ORDER
            if any(alarm.state == state for alarm in rest)
        )
        lines.append((f"+{len(rest)} more: {counts}", "INSUFFICIENT_DATA"))
    for index, (line, state) in enumerate(lines):
        axes.text(
            0,
            1 - index * LINE_INCHES / height,
            line,
            color=STATE_COLOURS.get(state, STATE_COLOURS["INSUFFICIENT_DATA"]),
            fontsize=FONT_PT,
            family="monospace",
            fontweight="bold" if state == "ALARM" else "normal",
            transform=axes.transAxes,
            va="top",
        )


def _no_data(axes: Any) -> None:
    axes.text(
        0.5,
        0.5,
        "No data",
        ha="center",
        va="center",
        color="#757575",
        fontsize=FONT_PT,
        transform=axes.transAxes,
    )


DRAWERS: dict[str, Callable[[Any, _Cell, DashboardView], None]] = {
    "timeSeries": _draw_time_series,
    "bar": _draw_bars,
    "alarm": _draw_alarms,
}


# ---------------------------------------------------------------- the local page


PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta http-equiv="refresh" content="30">
  <title>{title}</title>
  <style>
    body {{ font-family: sans-serif; margin: 1rem 2rem; }}
    img {{ max-width: 100%; border: 1px solid #ddd; }}
    td {{ padding: 0.15rem 0.8rem; font-family: monospace; }}
    .OK {{ color: #2e7d32; }} .ALARM {{ color: #c62828; font-weight: bold; }}
    .INSUFFICIENT_DATA {{ color: #757575; }}
  </style>
</head>
<body>
  <h1>{title}</h1>
  <p>The template's dashboard over the last {minutes} minutes, from the emulated CloudWatch;
  this page refreshes every 30 seconds, the picture is drawn again once a minute at most.</p>
  <img src="/_dashboard.png" alt="{title}">
  <h2>Alarms</h2>
  <table>{alarm_rows}</table>
</body>
</html>
"""

Page = tuple[int, dict[str, str], bytes]
NOT_DRAWN = b"The dashboard could not be drawn yet; see the local cloud's log.\n"


def dashboard_pages(
    cloudwatch: Callable[[], Any],
    *,
    minutes: int = 15,
    period_s: int = 60,
    picture_interval_s: float = INTERVAL_S,
) -> dict[str, Callable[[], Page]]:
    """/_dashboard (the picture and every alarm's state) and /_dashboard.png, drawn at
    most once per `picture_interval_s` (see `dashboard_picture`)."""

    def draw() -> bytes:
        client = cloudwatch()
        out = io.BytesIO()
        render_png(
            dashboard_view(client, only_dashboard(client), minutes=minutes, period_s=period_s),
            out,
        )
        return out.getvalue()

    drawn = DashboardPicture(draw, interval_s=picture_interval_s)

    def picture() -> Page:
        png = drawn.latest()
        if png is None:
            return 503, {"Content-Type": "text/plain", "Retry-After": "30"}, NOT_DRAWN
        return 200, {"Content-Type": "image/png", "Cache-Control": "no-store"}, png

    def page() -> Page:
        drawn.refresh()  # under way by the time the browser asks for the picture
        client = cloudwatch()
        name = only_dashboard(client)
        alarms = client.describe_alarms()["MetricAlarms"]
        rows = "".join(
            f'<tr><td class="{alarm["StateValue"]}">{alarm["StateValue"]}</td>'
            f"<td>{html.escape(alarm['AlarmName'])}</td>"
            f"<td>{html.escape(alarm.get('StateReason', ''))}</td></tr>"
            for alarm in sorted(alarms, key=lambda a: (a["StateValue"] != "ALARM", a["AlarmName"]))
        )
        body = PAGE.format(title=html.escape(name), minutes=minutes, alarm_rows=rows)
        return 200, {"Content-Type": "text/html; charset=utf-8"}, body.encode()

    return {"/_dashboard": page, "/_dashboard.png": picture}
