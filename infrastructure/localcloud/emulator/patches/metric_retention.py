"""CloudWatch datapoints in the emulator are kept for 3 hours.

moto keeps every datapoint it is sent in one list, and every GetMetricData walks that
list whole. The local cloud sends the queues' depths every 10 seconds and evaluates the
alarms with GetMetricData as often, so an idle emulator grew in memory and in CPU with
every hour it ran (and a dashboard drawing with it). CloudWatch keeps sub-minute
datapoints for 3 hours and aggregates older ones; locally, the dashboard shows the last
minutes and the alarms look back a few periods, so datapoints older than 3 hours are
dropped, once a minute, when new ones arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend

RETENTION = timedelta(hours=3)
PRUNE_EVERY = timedelta(minutes=1)

clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
"""Tests replace it."""

MOTO_PUT_METRIC_DATA = CloudWatchBackend.put_metric_data
_pruned_at: dict[int, datetime] = {}
"""id(backend) -> when its old datapoints were last dropped."""


def put_metric_data(self: CloudWatchBackend, namespace: str, metric_data: list[Any]) -> None:
    MOTO_PUT_METRIC_DATA(self, namespace, metric_data)
    now = clock()
    last = _pruned_at.get(id(self))
    if last is not None and now - last < PRUNE_EVERY:
        return
    _pruned_at[id(self)] = now
    oldest_kept = _naive_utc(now - RETENTION)
    self.metric_data = [
        datum for datum in self.metric_data if _naive_utc(datum.timestamp) >= oldest_kept
    ]


def _naive_utc(moment: datetime) -> datetime:
    """moto keeps naive UTC times, or the aware ones it was sent."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


PATCHES = ((CloudWatchBackend, "put_metric_data", put_metric_data),)


def install() -> None:
    for owner, name, replacement in PATCHES:
        setattr(owner, name, replacement)
