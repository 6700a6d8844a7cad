"""How Lambda retries a batch from an ordered source (a stream shard, a Kafka partition):
the source waits while the batch is retried, split in two first when
BisectBatchOnFunctionError is set and the whole batch failed (splitting does not count as
a retry), resumed from the first failed record when the function reports batch item
failures, and given up on once MaximumRetryAttempts retries are spent (never, at -1).
Records older than MaximumRecordAgeInSeconds are given up on before they are invoked
(again); they are the oldest, so they lead the batch."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from itertools import takewhile
from typing import Literal

from localcloud.model import InvocationResult

Condition = Literal["RetryAttemptsExhausted", "RecordAgeExceeded"]
"""Why Lambda gave records up, as its on-failure invocation records name it."""


@dataclass(frozen=True)
class RetryPolicy:
    retry_limit: int = -1
    """Retries after the first attempt; -1 retries until the records succeed."""
    bisect_on_error: bool = False
    record_age_limit_s: float = -1
    """MaximumRecordAgeInSeconds; -1 keeps records until the source drops them."""
    first_backoff_s: float = 0.1
    max_backoff_s: float = 2.0

    def backoff_s(self, retries: int) -> float:
        """Before retry number `retries` (1, 2, ...): doubling from the first backoff."""
        return min(self.max_backoff_s, self.first_backoff_s * 2 ** (retries - 1))

    def too_old(self, age_s: float) -> bool:
        return 0 <= self.record_age_limit_s < age_s


@dataclass(frozen=True)
class Attempt[R]:
    """One invocation with a batch."""

    result: InvocationResult
    retry: list[R]
    """The batch from its first failed record on (Lambda resumes there); empty on success."""
    failed: list[R]
    """The records that failed: all of `retry`, or those the function reported."""


@dataclass(frozen=True)
class GivenUp[R]:
    """Records Lambda stopped trying to deliver, and why."""

    records: list[R]
    """Every record skipped, in order (the failed ones and those after them)."""
    condition: Condition
    invocations: int
    """Invocations that held these records (0 when they expired before any)."""
    last: Attempt[R] | None
    """The last of those invocations."""

    @property
    def failed(self) -> list[R]:
        """The records that failed (all of them when they expired unread)."""
        return (
            self.last.failed
            if self.last and self.condition == "RetryAttemptsExhausted"
            else self.records
        )


def attempt_from[R](result: InvocationResult, batch: list[R], failed: set[int]) -> Attempt[R]:
    """The Attempt of an invocation whose records at the `failed` indexes failed."""
    if not failed:
        return Attempt(result, [], [])
    first = min(failed)
    return Attempt(result, batch[first:], [batch[index] for index in sorted(failed)])


def deliver_in_order[R](
    records: list[R],
    invoke: Callable[[list[R]], Attempt[R]],
    policy: RetryPolicy,
    stopping: threading.Event,
    *,
    give_up: Callable[[GivenUp[R]], None],
    retrying: Callable[[Attempt[R], int], None] = lambda attempt, retries: None,
    age_s: Callable[[R], float] = lambda record: 0.0,
) -> bool:
    """Invokes until every record succeeded or was given up on, in order; False if the
    poller was stopped first (the records are read again by its next start). `give_up`
    gets records whose retries are spent or that grew too old (discard them, or send them
    to the on-failure destination); `retrying` hears of each retry before its backoff."""
    pending: list[_Pending[R]] = [_Pending(records)]
    while pending:
        entry = pending.pop(0)
        expired = list(takewhile(lambda record: policy.too_old(age_s(record)), entry.batch))
        if expired:
            give_up(GivenUp(expired, "RecordAgeExceeded", entry.invocations, entry.last))
            entry = _Pending(entry.batch[len(expired) :], entry.retries, entry.invocations)
        if not entry.batch:
            continue
        if stopping.is_set():
            return False
        attempt = invoke(entry.batch)
        invocations = entry.invocations + 1
        if not attempt.retry:
            continue
        # A partial response naming the first record is a checkpoint, not a failed batch:
        # Lambda retries from it whole rather than bisecting.
        batch = entry.batch
        if policy.bisect_on_error and len(attempt.failed) == len(batch) > 1:
            half = len(batch) // 2
            pending[:0] = [
                _Pending(batch[:half], entry.retries, invocations, attempt),
                _Pending(batch[half:], entry.retries, invocations, attempt),
            ]
            continue
        retries = entry.retries + 1
        if 0 <= policy.retry_limit < retries:
            give_up(GivenUp(attempt.retry, "RetryAttemptsExhausted", invocations, attempt))
            continue
        retrying(attempt, retries)
        stopping.wait(policy.backoff_s(retries))
        pending.insert(0, _Pending(attempt.retry, retries, invocations, attempt))
    return True


@dataclass(frozen=True)
class _Pending[R]:
    batch: list[R]
    retries: int = 0
    invocations: int = 0
    last: Attempt[R] | None = None
