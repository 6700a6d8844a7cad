"""CloudWatch Logs in the emulator keeps a log group's events for its `RetentionInDays`,
and PutLogEvents refuses the events AWS refuses.

moto recorded a log group's retention and kept every event for ever, so a local cloud
left running held every line its functions ever logged. CloudWatch Logs deletes the
events of a group with a retention setting once they are older than it (AWS deletes
them in the background, typically within 72 hours; the emulator looks once a minute,
when the group is next written to). A group without one keeps its events.

PutLogEvents, as AWS documents it: the events of one request must be in chronological
order; an event more than 14 days old is refused as too old, one older than the group's
retention as expired, one more than 2 hours ahead as too new, and the rest are stored.
`rejectedLogEventsInfo` gives the end of the too-old and expired runs (exclusive) and
the start of the too-new one (inclusive). moto gave the too-old end as the last
too-old event's own index and had no expired events.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.models import LogGroup, LogsBackend, LogStream

DAY_MS = 24 * 3600 * 1000
TOO_OLD_MS = 14 * DAY_MS
TOO_NEW_MS = 2 * 3600 * 1000
PRUNE_EVERY_MS = 60 * 1000

clock: Callable[[], float] = time.time
"""Epoch seconds; tests replace it."""

_pruned_at_ms: WeakKeyDictionary[LogGroup, int] = WeakKeyDictionary()
"""When each log group's expired events were last dropped."""
_oldest_ms: WeakKeyDictionary[LogStream, int] = WeakKeyDictionary()
"""The oldest timestamp among each log stream's events, where known."""


def put_log_events(
    self: LogsBackend, log_group_name: str, log_stream_name: str, log_events: list[dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    if log_group_name not in self.groups:
        raise ResourceNotFoundException()
    group = self.groups[log_group_name]
    now_ms = int(clock() * 1000)
    retention = retention_ms(group)
    expired_before = now_ms - retention if retention else None
    rejected: dict[str, Any] = {}
    accepted = []
    previous = None
    for index, event in enumerate(log_events):
        timestamp = event["timestamp"]
        if previous is not None and timestamp < previous:
            raise InvalidParameterException(
                "Log events in a single PutLogEvents request must be in chronological order."
            )
        previous = timestamp
        if timestamp < now_ms - TOO_OLD_MS:
            rejected["tooOldLogEventEndIndex"] = index + 1
        elif expired_before is not None and timestamp < expired_before:
            rejected["expiredLogEventEndIndex"] = index + 1
        elif timestamp > now_ms + TOO_NEW_MS:
            rejected.setdefault("tooNewLogEventStartIndex", index)
        else:
            accepted.append(event)
    token = group.put_log_events(log_stream_name, accepted)
    if accepted:
        stream = group.streams[log_stream_name]
        oldest = min(event["timestamp"] for event in accepted)
        _oldest_ms[stream] = min(oldest, _oldest_ms.get(stream, oldest))
    if expired_before is not None:
        _drop_expired(group, expired_before, now_ms)
    return token, rejected


def retention_ms(group: LogGroup) -> int:
    """The group's retention in milliseconds, 0 where it keeps its events for ever."""
    return int(group.retention_in_days or 0) * DAY_MS


def _drop_expired(group: LogGroup, expired_before: int, now_ms: int) -> None:
    last = _pruned_at_ms.get(group)
    if last is not None and now_ms - last < PRUNE_EVERY_MS:
        return
    _pruned_at_ms[group] = now_ms
    for stream in group.streams.values():
        if _oldest_ms.get(stream, expired_before - 1) < expired_before:
            _drop_expired_events(stream, expired_before)


def _drop_expired_events(stream: LogStream, expired_before: int) -> None:
    kept = [event for event in stream.events if event.timestamp >= expired_before]
    if len(kept) < len(stream.events):
        stream.stored_bytes = sum(len(event.message) for event in kept)
        stream.events = kept
    _oldest_ms[stream] = min((event.timestamp for event in kept), default=expired_before)


PATCHES = ((LogsBackend, "put_log_events", put_log_events),)


def install() -> None:
    for owner, name, replacement in PATCHES:
        setattr(owner, name, replacement)
