"""CloudWatch GetMetricData in the emulator reads only the metrics it is asked for.

moto answers every GetMetricData by walking all the datapoints the backend holds, then,
for each query and each of its periods, walking those of the time window again. The local
cloud's alarms ask every 10 seconds, so an idle emulator's CPU grew with the traffic it
had seen: after 10 minutes of the soak's traffic, GetMetricData was 55 % of the idle
emulator's CPU, and it holds 3 hours of datapoints (`metric_retention`).

Here each backend keeps its datapoints by namespace, metric name and dimensions as well,
in the order moto keeps them, and a GetMetricData of metric queries hands moto only the
datapoints of the metrics its queries name (a query without dimensions: every datapoint
of its name, as moto reads it). The answer is moto's own otherwise, with one difference
that is AWS's behaviour: a query with dimensions matches only its own namespace (moto
compared the name and dimensions only). A Metrics Insights query (`SELECT ...`), which
reads every metric, is answered by moto as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend, MetricDatumBase

MOTO_GET_METRIC_DATA = CloudWatchBackend.get_metric_data
MOTO_GET_ALL_METRICS = CloudWatchBackend.get_all_metrics
INDEX = "localcloud_metrics_by_name"
"""The backend's attribute holding its index (a reset empties the backend's attributes)."""

MetricKey = tuple[str, str]
DimensionsKey = tuple[tuple[str, str], ...]

_reading = threading.local()
"""The datapoints the GetMetricData running in this thread may read."""
_indexing = threading.Lock()


class _Index:
    """The datapoints of `stored` (the backend's list), by metric."""

    def __init__(self, stored: list[MetricDatumBase]) -> None:
        self.stored = stored
        self.count = 0
        self.by_metric: dict[MetricKey, dict[DimensionsKey, list[MetricDatumBase]]] = {}
        self.add(stored)

    def add(self, data: Iterable[MetricDatumBase]) -> None:
        for datum in data:
            by_dimensions = self.by_metric.setdefault((datum.namespace, datum.name), {})
            dimensions = _dimensions_key((d.name, d.value) for d in datum.dimensions)
            by_dimensions.setdefault(dimensions, []).append(datum)
            self.count += 1

    def of(self, key: MetricKey, dimensions: DimensionsKey | None) -> list[MetricDatumBase]:
        """The datapoints of a metric; those of every dimensions when None."""
        by_dimensions = self.by_metric.get(key, {})
        if dimensions is None:
            return [datum for data in by_dimensions.values() for datum in data]
        return list(by_dimensions.get(dimensions, ()))

    def covers(self, stored: list[MetricDatumBase]) -> bool:
        return stored is self.stored and len(stored) == self.count


def index_of(backend: CloudWatchBackend) -> _Index:
    """The backend's index, caught up with its datapoints (made anew when the list was
    replaced, as `metric_retention` does, or changed other than by appending)."""
    with _indexing:
        index: _Index | None = vars(backend).get(INDEX)
        stored = backend.metric_data
        if index is not None and stored is index.stored and len(stored) > index.count:
            index.add(stored[index.count :])
        if index is None or not index.covers(stored):
            index = _Index(stored)
            setattr(backend, INDEX, index)
        return index


def get_metric_data(
    self: CloudWatchBackend,
    queries: list[dict[str, Any]],
    start_time: Any,
    end_time: Any,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    metrics = _metrics_read(queries)
    if metrics is None:
        return MOTO_GET_METRIC_DATA(self, queries, start_time, end_time, scan_by)
    index = index_of(self)
    with _indexing:
        chosen = [datum for key, dimensions in metrics for datum in index.of(key, dimensions)]
    names = {key for key, _ in metrics}
    chosen += [datum for datum in self.aws_metric_data if (datum.namespace, datum.name) in names]
    _reading.metrics = chosen
    try:
        return MOTO_GET_METRIC_DATA(self, queries, start_time, end_time, scan_by)
    finally:
        _reading.metrics = None


def _metrics_read(
    queries: list[dict[str, Any]],
) -> set[tuple[MetricKey, DimensionsKey | None]] | None:
    """The metrics the queries read (with their dimensions, None for any); None when a
    query may read any metric (Metrics Insights)."""
    metrics = set()
    for query in queries:
        if "MetricStat" in query:
            metric = query["MetricStat"].get("Metric", {})
            namespace, name = metric.get("Namespace"), metric.get("MetricName")
            if not isinstance(namespace, str) or not isinstance(name, str):
                return None
            given = metric.get("Dimensions") or []
            dimensions = _dimensions_key((d.get("Name"), d.get("Value")) for d in given)
            metrics.add(((namespace, name), dimensions or None))
        elif str(query.get("Expression", "")).startswith("SELECT"):
            return None
    return metrics


def _dimensions_key(pairs: Iterable[tuple[Any, Any]]) -> DimensionsKey:
    return tuple(sorted((str(name), str(value)) for name, value in pairs))


def get_all_metrics(self: CloudWatchBackend) -> list[MetricDatumBase]:
    chosen: list[MetricDatumBase] | None = getattr(_reading, "metrics", None)
    return chosen if chosen is not None else MOTO_GET_ALL_METRICS(self)


PATCHES = (
    (CloudWatchBackend, "get_metric_data", get_metric_data),
    (CloudWatchBackend, "get_all_metrics", get_all_metrics),
)


def install() -> None:
    for owner, name, replacement in PATCHES:
        setattr(owner, name, replacement)
