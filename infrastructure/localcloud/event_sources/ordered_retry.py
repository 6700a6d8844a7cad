"""How Lambda retries a batch from an ordered source (a stream shard, a Kafka partition):
the source waits while the batch is retried, split in two first when
BisectBatchOnFunctionError is set and the whole batch failed (splitting does not count as
a retry), resumed from the first failed record when the function reports batch item
failures, and given up on once MaximumRetryAttempts retries are spent (never, at -1)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from localcloud.model import InvocationResult


@dataclass(frozen=True)
class RetryPolicy:
    retry_limit: int = -1
    """Retries after the first attempt; -1 retries until the records succeed."""
    bisect_on_error: bool = False
    first_backoff_s: float = 0.1
    max_backoff_s: float = 2.0

    def backoff_s(self, retries: int) -> float:
        """Before retry number `retries` (1, 2, ...): doubling from the first backoff."""
        return min(self.max_backoff_s, self.first_backoff_s * 2 ** (retries - 1))


@dataclass(frozen=True)
class Attempt[R]:
    """One invocation with a batch."""

    result: InvocationResult
    retry: list[R]
    """The batch from its first failed record on (Lambda resumes there); empty on success."""
    failed: list[R]
    """The records that failed: all of `retry`, or those the function reported."""


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
    give_up: Callable[[Attempt[R]], None],
    retrying: Callable[[Attempt[R], int], None] = lambda attempt, retries: None,
) -> bool:
    """Invokes until every record succeeded or was given up on, in order; False if the
    poller was stopped first (the records are read again by its next start). `give_up`
    gets the last attempt of records whose retries are spent (discard them, or send them
    to the on-failure destination); `retrying` hears of each retry before its backoff."""
    pending: list[tuple[list[R], int]] = [(records, 0)]
    while pending:
        batch, retries = pending.pop(0)
        if not batch:
            continue
        if stopping.is_set():
            return False
        attempt = invoke(batch)
        if not attempt.retry:
            continue
        # A partial response naming the first record is a checkpoint, not a failed batch:
        # Lambda retries from it whole rather than bisecting.
        if policy.bisect_on_error and len(attempt.failed) == len(batch) > 1:
            half = len(batch) // 2
            pending[:0] = [(batch[:half], retries), (batch[half:], retries)]
            continue
        retries += 1
        if 0 <= policy.retry_limit < retries:
            give_up(attempt)
            continue
        retrying(attempt, retries)
        stopping.wait(policy.backoff_s(retries))
        pending.insert(0, (attempt.retry, retries))
    return True
