"""How a poller fills a batch, as Lambda does: up to the mapping's BatchSize records,
gathered for up to its MaximumBatchingWindowInSeconds once the first one arrives, and
never more than an invocation's 6 MB payload."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
"""A synchronous invocation's payload quota: Lambda closes a batch before it exceeds it."""
IDLE_WAIT_S = 0.05
"""Between reads that found nothing, while a window is open."""


@dataclass(frozen=True)
class BatchPolicy:
    batch_size: int
    window_s: float = 0.0
    max_bytes: int = MAX_PAYLOAD_BYTES


@dataclass
class Batch[R]:
    records: list[R]
    overflow: list[R]
    """Records read that would have taken the batch past its payload quota: the poller
    hands them back to their source (the next batch starts with them)."""


def gather[R](
    read: Callable[[int, float], list[R]],
    policy: BatchPolicy,
    stopping: threading.Event,
    *,
    first_wait_s: float,
    size_of: Callable[[R], int],
    more_wait_s: float = 1.0,
    done: Callable[[], bool] = lambda: False,
    merge: Callable[[list[R], list[R]], list[R]] = lambda held, more: held + more,
) -> Batch[R]:
    """A batch. `read(limit, wait_s)` returns up to `limit` records, waiting up to `wait_s`
    for a first one if it can. The first read waits `first_wait_s`; once a record arrived,
    reads go on (each waiting up to `more_wait_s`) until the batch is full, its window has
    passed, its payload is at the quota, the source says it is `done`, or the poller
    stops. `merge` combines what was held with what a read brought (e.g. once each)."""
    records = read(policy.batch_size, first_wait_s)
    if not records:
        return Batch([], [])
    window_ends = time.monotonic() + policy.window_s
    while len(records) < policy.batch_size and not done() and not stopping.is_set():
        remaining = window_ends - time.monotonic()
        # The window is looked at first: sizing records costs more than the clock.
        if remaining <= 0 or _size(records, size_of) >= policy.max_bytes:
            break
        asked_at = time.monotonic()
        more = read(policy.batch_size - len(records), min(remaining, more_wait_s))
        records = merge(records, more)
        if not more and time.monotonic() - asked_at < IDLE_WAIT_S:
            # The read did not wait for records (a stream's never does): pace the next.
            stopping.wait(min(remaining, IDLE_WAIT_S))
    return _within_quota(records, size_of, policy.max_bytes)


def _size[R](records: list[R], size_of: Callable[[R], int]) -> int:
    return sum(size_of(record) for record in records)


def _within_quota[R](records: list[R], size_of: Callable[[R], int], max_bytes: int) -> Batch[R]:
    """The longest head of `records` within the quota; a first record alone above it still
    goes (its invocation fails, as on AWS, and the source's failure handling takes over)."""
    if len(records) == 1:
        return Batch(records, [])
    total = 0
    for index, record in enumerate(records):
        total += size_of(record)
        if total > max_bytes and index > 0:
            return Batch(records[:index], records[index:])
    return Batch(records, [])
