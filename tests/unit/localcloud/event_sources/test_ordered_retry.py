"""How Lambda retries a batch from an ordered source (a DynamoDB stream shard, a Kafka
partition), as documented: the batch is retried until it succeeds or MaximumRetryAttempts
retries are spent (forever at -1), then given up on (discarded, or sent to the on-failure
destination); BisectBatchOnFunctionError splits a failed batch in two first; a partial
batch response retries from the lowest failed record; records older than
MaximumRecordAgeInSeconds are given up on before they are invoked again. Driven by a fake
function."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import pytest

from localcloud.event_sources.kafka.mapping import KafkaMapping
from localcloud.event_sources.ordered_retry import (
    Attempt,
    GivenUp,
    RetryPolicy,
    attempt_from,
    deliver_in_order,
)
from localcloud.model import InvocationResult

FAILED = InvocationResult(ok=False, error_type="ValueError", error_message="poison")
SUCCEEDED = InvocationResult(ok=True)


class FakeFunction:
    """Records every batch it is invoked with. Fails a whole batch holding a poison
    record (while it still has failures to give); with `reports`, succeeds and reports
    the poison records as failed instead."""

    def __init__(
        self, poison: Iterable[str] = (), *, failures: int = 10**6, reports: bool = False
    ) -> None:
        self.poison = set(poison)
        self.failures_left = failures
        self.reports = reports
        self.batches: list[list[str]] = []

    def __call__(self, batch: list[str]) -> Attempt[str]:
        self.batches.append(list(batch))
        failed = {index for index, record in enumerate(batch) if record in self.poison}
        if not failed or self.failures_left <= 0:
            return attempt_from(SUCCEEDED, batch, set())
        self.failures_left -= 1
        if self.reports:
            return attempt_from(SUCCEEDED, batch, failed)
        return attempt_from(FAILED, batch, set(range(len(batch))))


def deliver(
    records: list[str],
    function: Callable[[list[str]], Attempt[str]],
    *,
    stopping: threading.Event | None = None,
    retrying: Callable[[Attempt[str], int], None] = lambda attempt, retries: None,
    age_s: Callable[[str], float] = lambda record: 0.0,
    **policy: float | bool,
) -> tuple[bool, list[GivenUp[str]]]:
    """Delivers with a near-zero backoff; returns the outcome and what was given up."""
    given_up: list[GivenUp[str]] = []
    outcome = deliver_in_order(
        records,
        function,
        RetryPolicy(first_backoff_s=0.001, max_backoff_s=0.001, **policy),
        stopping or threading.Event(),
        give_up=given_up.append,
        retrying=retrying,
        age_s=age_s,
    )
    return outcome, given_up


def test_a_successful_batch_is_invoked_once() -> None:
    function = FakeFunction()

    delivered, given_up = deliver(["a", "b"], function)

    assert delivered
    assert function.batches == [["a", "b"]]
    assert given_up == []


def test_a_failed_batch_is_retried_whole_until_it_succeeds_when_retries_are_unlimited() -> None:
    function = FakeFunction(poison=["b"], failures=3)

    delivered, given_up = deliver(["a", "b", "c"], function, retry_limit=-1)

    assert delivered
    assert function.batches == [["a", "b", "c"]] * 4
    assert given_up == []


@pytest.mark.parametrize("retry_limit", [0, 1, 3])
def test_a_batch_is_given_up_on_after_maximum_retry_attempts_retries(retry_limit: int) -> None:
    function = FakeFunction(poison=["b"])

    delivered, given_up = deliver(["a", "b"], function, retry_limit=retry_limit)

    # the first attempt plus MaximumRetryAttempts retries, then the records are given up
    assert delivered
    assert function.batches == [["a", "b"]] * (retry_limit + 1)
    [last] = given_up
    assert last.records == ["a", "b"]
    assert last.condition == "RetryAttemptsExhausted"
    assert last.invocations == retry_limit + 1
    assert last.last is not None and last.last.result == FAILED


@pytest.mark.parametrize(
    ("maximum_retry_attempts", "on_failure_topic", "retry_limit"),
    [(-1, None, -1), (-1, "orders-dlq", 10), (3, "orders-dlq", 3), (0, None, 0)],
)
def test_a_kafka_mapping_with_an_on_failure_topic_retries_forever_at_most_ten_times(
    maximum_retry_attempts: int, on_failure_topic: str | None, retry_limit: int
) -> None:
    # AWS: infinite retries with an on-failure destination are capped at 10 attempts
    mapping = KafkaMapping(
        function="Consumer",
        topic="orders",
        consumer_group="orders-group",
        maximum_retry_attempts=maximum_retry_attempts,
        on_failure_topic=on_failure_topic,
    )

    assert mapping.retry_limit == retry_limit


def test_each_retry_is_announced_with_its_number_and_backs_off_doubling() -> None:
    announced: list[int] = []
    function = FakeFunction(poison=["a"])

    deliver(["a"], function, retry_limit=3, retrying=lambda _, retries: announced.append(retries))

    assert announced == [1, 2, 3]
    policy = RetryPolicy(first_backoff_s=1.0, max_backoff_s=8.0)
    assert [policy.backoff_s(retry) for retry in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 8.0]


def test_a_partial_batch_response_retries_from_the_first_failed_record_on() -> None:
    # Lambda checkpoints before the lowest reported record and retries from there
    function = FakeFunction(poison=["d", "b"], failures=1, reports=True)

    delivered, _ = deliver(["a", "b", "c", "d", "e"], function)

    assert delivered
    assert function.batches == [["a", "b", "c", "d", "e"], ["b", "c", "d", "e"]]


def test_records_still_reported_failed_when_retries_run_out_are_given_up_alone() -> None:
    function = FakeFunction(poison=["b"], reports=True)

    _, given_up = deliver(["a", "b", "c"], function, retry_limit=1)

    assert function.batches == [["a", "b", "c"], ["b", "c"]]
    [last] = given_up
    assert last.failed == ["b"]
    assert last.records == ["b", "c"]


def test_bisecting_isolates_a_poison_record_and_the_records_after_it_still_arrive() -> None:
    function = FakeFunction(poison=["b"])

    delivered, given_up = deliver(
        ["a", "b", "c", "d"], function, retry_limit=0, bisect_on_error=True
    )

    # splitting is not a retry: only ["b"] alone spends the one attempt it has
    assert delivered
    assert function.batches == [["a", "b", "c", "d"], ["a", "b"], ["a"], ["b"], ["c", "d"]]
    assert [given.records for given in given_up] == [["b"]]
    # the whole batch, then [a, b], then [b] alone: three invocations held "b"
    assert given_up[0].invocations == 3


def test_bisecting_keeps_the_order_of_the_halves() -> None:
    function = FakeFunction(poison=["c"], failures=2)

    deliver(["a", "b", "c"], function, bisect_on_error=True)

    # [a] then [b, c]; [b, c] fails and splits into [b] then [c], which now succeeds
    assert function.batches == [["a", "b", "c"], ["a"], ["b", "c"], ["b"], ["c"]]


def test_with_bisect_a_partial_batch_response_splits_at_the_reported_record() -> None:
    # AWS: with both BisectBatchOnFunctionError and ReportBatchItemFailures, a partial
    # response splits the batch at the returned sequence number and retries the rest
    function = FakeFunction(poison=["c"], failures=1, reports=True)

    deliver(["a", "b", "c", "d"], function, bisect_on_error=True)

    assert function.batches == [["a", "b", "c", "d"], ["c", "d"]]


def test_with_bisect_a_response_reporting_the_first_record_retries_the_whole_batch() -> None:
    # The function succeeded: there is no function error to bisect on, only a
    # checkpoint before the first record, so the retry is the whole batch.
    function = FakeFunction(poison=["a"], failures=1, reports=True)

    deliver(["a", "b", "c", "d"], function, bisect_on_error=True)

    assert function.batches == [["a", "b", "c", "d"], ["a", "b", "c", "d"]]


def test_a_stopped_poller_invokes_nothing_and_gives_nothing_up() -> None:
    stopping = threading.Event()
    stopping.set()
    function = FakeFunction()

    delivered, given_up = deliver(["a"], function, stopping=stopping)

    assert not delivered
    assert function.batches == []
    assert given_up == []


def test_stopping_between_retries_leaves_the_records_to_be_read_again() -> None:
    stopping = threading.Event()
    function = FakeFunction(poison=["a"])

    delivered, given_up = deliver(
        ["a"], function, stopping=stopping, retry_limit=5, retrying=lambda *_: stopping.set()
    )

    assert not delivered
    assert function.batches == [["a"]]
    assert given_up == []


def test_an_empty_batch_after_filtering_invokes_nothing() -> None:
    function = FakeFunction()

    delivered, _ = deliver([], function)

    assert delivered
    assert function.batches == []


def test_attempt_from_resumes_at_the_lowest_failed_index() -> None:
    attempt = attempt_from(SUCCEEDED, ["a", "b", "c", "d"], {3, 1})

    assert attempt.retry == ["b", "c", "d"]
    assert attempt.failed == ["b", "d"]
    assert attempt_from(SUCCEEDED, ["a"], set()) == Attempt(SUCCEEDED, [], [])


class AgingClock:
    """Record ages that grow by `per_invocation_s` with every invocation of `function`."""

    def __init__(self, function: FakeFunction, ages: dict[str, float], per_invocation_s: float):
        self.function = function
        self.ages = ages
        self.per_invocation_s = per_invocation_s

    def __call__(self, record: str) -> float:
        return self.ages[record] + self.per_invocation_s * len(self.function.batches)


def test_records_older_than_the_maximum_age_are_given_up_unread_and_the_rest_delivered() -> None:
    function = FakeFunction()
    ages = {"a": 120.0, "b": 90.0, "c": 10.0}

    delivered, given_up = deliver(
        ["a", "b", "c"], function, record_age_limit_s=60, age_s=ages.__getitem__
    )

    assert delivered
    assert function.batches == [["c"]]
    [expired] = given_up
    assert expired == GivenUp(["a", "b"], "RecordAgeExceeded", 0, None)
    assert expired.failed == ["a", "b"]


def test_a_failing_batch_is_retried_until_its_records_grow_too_old() -> None:
    # unlimited retries, but every retry finds the records 25 s older: the fourth
    # invocation would see them at 100 s, past the 60 s limit
    function = FakeFunction(poison=["a"])
    clock = AgingClock(function, {"a": 0.0, "b": 0.0}, per_invocation_s=25)

    delivered, given_up = deliver(["a", "b"], function, record_age_limit_s=60, age_s=clock)

    assert delivered
    assert function.batches == [["a", "b"]] * 3
    [expired] = given_up
    assert expired.records == ["a", "b"]
    assert expired.condition == "RecordAgeExceeded"
    assert expired.invocations == 3
    assert expired.last is not None and expired.last.result == FAILED


def test_only_the_leading_records_past_the_age_expire_before_a_retry() -> None:
    # the batch fails once; by the retry "a" is past the limit, "b" is not yet
    function = FakeFunction(poison=["a"], failures=1)
    clock = AgingClock(function, {"a": 50.0, "b": 20.0}, per_invocation_s=15)

    delivered, given_up = deliver(["a", "b"], function, record_age_limit_s=60, age_s=clock)

    assert delivered
    assert function.batches == [["a", "b"], ["b"]]
    assert [(given.records, given.condition) for given in given_up] == [
        (["a"], "RecordAgeExceeded")
    ]


def test_no_age_limit_keeps_old_records() -> None:
    function = FakeFunction()

    delivered, given_up = deliver(["a"], function, age_s=lambda record: 10**6)

    assert delivered
    assert function.batches == [["a"]]
    assert given_up == []
