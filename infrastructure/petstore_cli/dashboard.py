"""The template's CloudWatch dashboard, rendered from the emulated CloudWatch's metrics:
one panel per widget, laid out on the dashboard's own grid, with its title; metric
widgets plot each metric over time (a `bar` widget the total per metric, as CloudWatch
draws it), an alarm widget shows each alarm's state.

`petstore dashboard --out FILE.png` writes it; the local cloud serves the same picture at
/_dashboard, beside the alarms' states.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from petstore_cli.dashboard_picture import INTERVAL_S, DashboardPicture

GRID_COLUMNS = 24
INCHES_PER_COLUMN = 0.8
INCHES_PER_ROW = 0.6
TITLE_INCHES = 0.6
PAD_LEFT_INCHES, PAD_RIGHT_INCHES = 0.55, 0.15
PAD_TOP_INCHES, PAD_BOTTOM_INCHES = 0.3, 0.55
DPI = 80
LEGEND_ENTRIES = 8
STATE_COLOURS = {"OK": "#2e7d32", "ALARM": "#c62828", "INSUFFICIENT_DATA": "#9e9e9e"}
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
            period = period_s or int(properties.get("period", 60))
            rows = metric_rows(properties)
            panel.series = _series(cloudwatch, rows, period, start, end)
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
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max((panel.y + panel.height for panel in view.panels), default=1)
    width = GRID_COLUMNS * INCHES_PER_COLUMN
    height = rows * INCHES_PER_ROW + TITLE_INCHES
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    figure.suptitle(
        f"{view.name}   {view.start:%Y-%m-%d %H:%M} to {view.end:%H:%M} UTC",
        fontsize=14,
        y=1 - 0.15 / height,
        va="top",
    )
    for panel in view.panels:
        axes = figure.add_axes(_panel_box(panel, width, height))
        axes.set_title(panel.title, fontsize=10, loc="left")
        DRAWERS.get(panel.kind, _draw_time_series)(axes, panel, view)
    figure.savefig(out, format="png")
    return len(figure.axes)


def _panel_box(panel: Panel, width: float, height: float) -> tuple[float, float, float, float]:
    """Where a widget's plot goes, as figure fractions (left, bottom, width, height): its
    cells on the dashboard grid, less room for its title above and its ticks around."""
    left = panel.x * INCHES_PER_COLUMN + PAD_LEFT_INCHES
    right = (panel.x + panel.width) * INCHES_PER_COLUMN - PAD_RIGHT_INCHES
    top = TITLE_INCHES + panel.y * INCHES_PER_ROW + PAD_TOP_INCHES
    bottom = TITLE_INCHES + (panel.y + panel.height) * INCHES_PER_ROW - PAD_BOTTOM_INCHES
    return left / width, 1 - bottom / height, (right - left) / width, (bottom - top) / height


def _draw_time_series(axes: Any, panel: Panel, view: DashboardView) -> None:
    from matplotlib.dates import DateFormatter

    plotted = sorted(
        (series for series in panel.series if series.values),
        key=lambda series: -max(series.values),
    )
    for series in plotted:
        axes.plot(series.timestamps, series.values, marker=".", linewidth=1.2, label=series.label)
    axes.set_xlim(view.start, view.end)
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    axes.tick_params(labelsize=7)
    axes.grid(alpha=0.3)
    if not plotted:
        _no_data(axes)
        return
    axes.set_ylim(bottom=0)
    # Only series that rose above zero get a legend entry, the busiest first: a panel of
    # every function has too many for all of them.
    handles, labels = axes.get_legend_handles_labels()
    shown = [
        (h, label) for h, label, s in zip(handles, labels, plotted, strict=True) if max(s.values)
    ]
    if not shown:
        axes.text(0.02, 0.95, f"0 for all {len(plotted)}", fontsize=7, transform=axes.transAxes)
        return
    title = f"top {LEGEND_ENTRIES} of {len(shown)}" if len(shown) > LEGEND_ENTRIES else None
    axes.legend(
        [handle for handle, _ in shown[:LEGEND_ENTRIES]],
        [label for _, label in shown[:LEGEND_ENTRIES]],
        title=title,
        title_fontsize=6,
        fontsize=6,
        loc="upper left",
        frameon=False,
    )


def _draw_bars(axes: Any, panel: Panel, view: DashboardView) -> None:
    totals = [sum(series.values) for series in panel.series]
    labels = [series.label for series in panel.series]
    bars = axes.bar(range(len(totals)), totals, color="#1565c0")
    axes.set_xticks(range(len(labels)), labels, rotation=20, ha="right", fontsize=7)
    axes.bar_label(bars, fmt="%g", fontsize=8)
    axes.tick_params(axis="y", labelsize=7)
    axes.grid(axis="y", alpha=0.3)
    axes.set_ylim(0, max([*totals, 1]) * 1.2)


def _draw_alarms(axes: Any, panel: Panel, view: DashboardView) -> None:
    axes.set_axis_off()
    if not panel.alarms:
        _no_data(axes)
        return
    ordered = sorted(panel.alarms, key=lambda alarm: (alarm.state != "ALARM", alarm.name))
    step = 1 / (len(ordered) + 1)
    for index, alarm in enumerate(ordered):
        colour = STATE_COLOURS.get(alarm.state, STATE_COLOURS["INSUFFICIENT_DATA"])
        top = 1 - (index + 1) * step
        axes.text(0, top, "■", color=colour, fontsize=7, transform=axes.transAxes, va="center")
        axes.text(
            0.04,
            top,
            f"{alarm.state:<17} {alarm.name}",
            fontsize=6,
            family="monospace",
            transform=axes.transAxes,
            va="center",
        )


def _no_data(axes: Any) -> None:
    axes.text(
        0.5, 0.5, "No data", ha="center", va="center", color="#757575", transform=axes.transAxes
    )


DRAWERS: dict[str, Callable[[Any, Panel, DashboardView], None]] = {
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
