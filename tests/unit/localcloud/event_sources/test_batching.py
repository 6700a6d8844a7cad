"""How a poller fills a batch, as Lambda documents it for SQS, streams and Kafka: at most
BatchSize records; without a batching window, what one read brings; with one, records
arriving within the window; never more than the 6 MB invocation payload, the overflow
starting the next batch with nothing lost or repeated. Driven by scripted reads, no
emulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from localcloud.event_sources.batching import (
    IDLE_WAIT_S,
    MAX_PAYLOAD_BYTES,
    Batch,
    BatchPolicy,
    gather,
)

MB = 1024 * 1024


class ScriptedSource:
    """Answers each read with the next scripted arrival (trimmed to the read's limit; the
    rest stays in the source), then with nothing. Records are their own size in bytes."""

    def __init__(self, *arrivals: list[int], on_read: Callable[[int], None] = lambda n: None):
        self.arrivals = [list(arrival) for arrival in arrivals]
        self.reads: list[tuple[int, float]] = []
        self._on_read = on_read

    def read(self, limit: int, wait_s: float) -> list[int]:
        self.reads.append((limit, wait_s))
        self._on_read(len(self.reads))
        if not self.arrivals:
            return []
        arrival = self.arrivals.pop(0)
        taken, kept = arrival[:limit], arrival[limit:]
        if kept:
            self.arrivals.insert(0, kept)
        return taken


def gather_from(
    source: ScriptedSource,
    policy: BatchPolicy,
    stopping: threading.Event | None = None,
    **options: object,
) -> Batch[int]:
    return gather(
        source.read,
        policy,
        stopping or threading.Event(),
        first_wait_s=1.0,
        size_of=lambda record: record,
        **options,
    )


def test_without_a_window_the_batch_is_what_the_first_read_brought() -> None:
    source = ScriptedSource([1, 2], [3])

    batch = gather_from(source, BatchPolicy(batch_size=10))

    assert batch.records == [1, 2]
    assert len(source.reads) == 1


def test_the_first_read_asks_for_the_batch_size_and_waits_the_first_wait() -> None:
    source = ScriptedSource([1])

    gather_from(source, BatchPolicy(batch_size=7))

    assert source.reads == [(7, 1.0)]


def test_a_batch_holds_at_most_batch_size_records_and_the_rest_stay_in_the_source() -> None:
    source = ScriptedSource([1, 2, 3, 4, 5])

    first = gather_from(source, BatchPolicy(batch_size=3, window_s=30))
    second = gather_from(source, BatchPolicy(batch_size=3, window_s=0.05))

    assert first.records == [1, 2, 3]
    assert second.records == [4, 5]


def test_an_empty_source_gives_an_empty_batch_without_opening_a_window() -> None:
    source = ScriptedSource()

    batch = gather_from(source, BatchPolicy(batch_size=10, window_s=30))

    assert batch == Batch([], [])
    assert len(source.reads) == 1


def test_records_arriving_within_the_window_join_the_batch_until_it_is_full() -> None:
    # Given a window far longer than the test: only a full batch can close it
    source = ScriptedSource([1], [], [2], [3, 4])
    started = time.monotonic()

    batch = gather_from(source, BatchPolicy(batch_size=4, window_s=30))

    assert batch.records == [1, 2, 3, 4]
    assert time.monotonic() - started < 10
    # each later read asks only for the room left
    assert [limit for limit, _ in source.reads] == [4, 3, 3, 2]


def test_the_window_closes_a_batch_that_is_not_full() -> None:
    source = ScriptedSource([1])
    started = time.monotonic()

    batch = gather_from(source, BatchPolicy(batch_size=10, window_s=0.2))

    elapsed = time.monotonic() - started
    assert batch.records == [1]
    assert 0.2 <= elapsed < 5


def test_a_read_within_the_window_waits_no_longer_than_the_window_or_more_wait() -> None:
    source = ScriptedSource([1])

    gather_from(source, BatchPolicy(batch_size=10, window_s=0.3), more_wait_s=0.1)

    later_waits = [wait for _, wait in source.reads[1:]]
    assert later_waits and all(wait <= 0.1 for wait in later_waits)


def test_a_source_whose_reads_never_wait_is_not_busy_polled_during_the_window() -> None:
    # A stream's GetRecords answers at once: the window paces the reads.
    source = ScriptedSource([1])

    gather_from(source, BatchPolicy(batch_size=10, window_s=0.3))

    assert len(source.reads) <= 0.3 / IDLE_WAIT_S + 2


def test_stopping_the_poller_closes_the_batch_being_gathered() -> None:
    stopping = threading.Event()
    source = ScriptedSource([1], [2], on_read=lambda reads: stopping.set() if reads == 2 else None)

    batch = gather_from(source, BatchPolicy(batch_size=10, window_s=30), stopping)

    assert batch.records == [1, 2]
    assert len(source.reads) == 2


def test_a_finished_source_closes_the_batch_without_waiting_out_the_window() -> None:
    source = ScriptedSource([1, 2])
    started = time.monotonic()

    batch = gather_from(source, BatchPolicy(batch_size=10, window_s=30), done=lambda: True)

    assert batch.records == [1, 2]
    assert time.monotonic() - started < 10


def test_merge_decides_how_a_read_joins_what_is_held() -> None:
    # e.g. an SQS message received twice within the window is held once
    source = ScriptedSource([1], [1, 2], [3])

    batch = gather_from(
        source,
        BatchPolicy(batch_size=3, window_s=30),
        merge=lambda held, more: held + [m for m in more if m not in held],
    )

    assert batch.records == [1, 2, 3]


def test_the_payload_quota_is_six_megabytes() -> None:
    assert MAX_PAYLOAD_BYTES == 6 * MB


def test_a_batch_closes_before_it_exceeds_the_payload_quota_and_hands_back_the_rest() -> None:
    source = ScriptedSource([2 * MB, 2 * MB, 2 * MB, 1, 2 * MB])

    batch = gather_from(source, BatchPolicy(batch_size=10))

    # exactly at the quota still goes; one byte more does not
    assert batch.records == [2 * MB, 2 * MB, 2 * MB]
    assert batch.overflow == [1, 2 * MB]


def test_reads_stop_once_the_batch_is_at_the_quota_even_with_the_window_open() -> None:
    source = ScriptedSource([3 * MB], [3 * MB], [1])

    batch = gather_from(source, BatchPolicy(batch_size=10, window_s=30))

    assert batch.records == [3 * MB, 3 * MB]
    assert len(source.reads) == 2


def test_a_single_record_above_the_quota_still_goes_alone() -> None:
    # its invocation fails as it would on AWS; the source's failure handling takes over
    source = ScriptedSource([7 * MB, 1])

    batch = gather_from(source, BatchPolicy(batch_size=10))

    assert batch == Batch([7 * MB], [1])


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=40), max_size=40),
    batch_size=st.integers(min_value=1, max_value=12),
)
def test_batches_with_their_overflow_handed_back_deliver_every_record_once_in_order(
    sizes: list[int], batch_size: int
) -> None:
    # Given records tagged by position, sized against a 100-byte quota
    records = list(enumerate(sizes))
    pending = list(records)
    policy = BatchPolicy(batch_size=batch_size, max_bytes=100)

    def read(limit: int, wait_s: float) -> list[tuple[int, int]]:
        taken = pending[:limit]
        del pending[:limit]
        return taken

    # When a poller gathers until the source is empty, handing overflow back to its front
    delivered: list[list[tuple[int, int]]] = []
    while pending:
        batch = gather(
            read, policy, threading.Event(), first_wait_s=0, size_of=lambda record: record[1]
        )
        pending[:0] = batch.overflow
        delivered.append(batch.records)

    # Then every record arrives exactly once, in order, each batch within its limits
    assert [record for batch in delivered for record in batch] == records
    for batch in delivered:
        assert 1 <= len(batch) <= batch_size
        assert len(batch) == 1 or sum(size for _, size in batch) <= 100
