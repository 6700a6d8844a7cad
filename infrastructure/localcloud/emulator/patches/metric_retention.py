"""CloudWatch datapoints in the emulator are kept for 3 hours.

moto keeps every datapoint it is sent in one list, and every GetMetricData walks that
list whole. The local cloud sends the queues' depths every 10 seconds and evaluates the
alarms with GetMetricData as often, so an idle emulator grew in memory and in CPU with
every hour it ran (and a dashboard drawing with it). CloudWatch keeps sub-minute
datapoints for 3 hours and aggregates older ones; locally, the dashboard shows the last
minutes and the alarms look back a few periods, so datapoints older than 3 hours are
dropped, once a minute, when new ones arrive.

The datapoints kept share their names, units and dimensions: each request brings its own
copies of the same few strings (a queue's name, "ApproximateNumberOfMessagesVisible"),
which held 630 bytes a datapoint; shared, a datapoint holds its value and time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend, Dimension, MetricDatumBase

RETENTION = timedelta(hours=3)
PRUNE_EVERY = timedelta(minutes=1)

clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
"""Tests replace it."""

MOTO_PUT_METRIC_DATA = CloudWatchBackend.put_metric_data
_pruned_at: dict[int, datetime] = {}
"""id(backend) -> when its old datapoints were last dropped."""


def put_metric_data(self: CloudWatchBackend, namespace: str, metric_data: list[Any]) -> None:
    stored = len(self.metric_data)
    MOTO_PUT_METRIC_DATA(self, namespace, metric_data)
    for datum in self.metric_data[stored:]:
        _share_names(datum)
    now = clock()
    last = _pruned_at.get(id(self))
    if last is not None and now - last < PRUNE_EVERY:
        return
    _pruned_at[id(self)] = now
    oldest_kept = _naive_utc(now - RETENTION)
    self.metric_data = [
        datum for datum in self.metric_data if _naive_utc(datum.timestamp) >= oldest_kept
    ]


_dimensions: dict[tuple[tuple[str | None, str | None], ...], list[Dimension]] = {}
"""One list of dimensions for every datapoint that has them; read, never changed."""


def _share_names(datum: MetricDatumBase) -> None:
    datum.namespace = sys.intern(datum.namespace)
    datum.name = sys.intern(datum.name)
    if isinstance(datum.unit, str):
        datum.unit = sys.intern(datum.unit)
    key = tuple((dimension.name, dimension.value) for dimension in datum.dimensions)
    datum.dimensions = _dimensions.setdefault(key, datum.dimensions)


def _naive_utc(moment: datetime) -> datetime:
    """moto keeps naive UTC times, or the aware ones it was sent."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


PATCHES = ((CloudWatchBackend, "put_metric_data", put_metric_data),)


def install() -> None:
    for owner, name, replacement in PATCHES:
        setattr(owner, name, replacement)
