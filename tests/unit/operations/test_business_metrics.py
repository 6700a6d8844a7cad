"""The services count the saga's business outcomes (EMF on standard output), including
how long an order took from placement to its terminal status, and their cold starts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from aws_lambda_powertools.metrics.provider import cold_start

from localcloud.cloudwatch.metrics import emf_metric_points
from orders.handlers import handle_cancel_order, handle_place_order
from petstore_shared import observability
from support.in_process_saga import InProcessSaga
from support.rest_api_invocation import call_api
from support.saga_fixtures import rest_event


def metric_values(printed: str) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    for line in printed.splitlines():
        for point in emf_metric_points(line):
            values.setdefault(point.name, []).extend(point.values)
    return values


def test_a_confirmed_order_counts_its_saga_and_how_long_it_took(
    saga: InProcessSaga,
    place_order: Callable[..., str],
    order_of: Callable[[str], Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    order_id = place_order(token="tok_visa")
    saga.settle()

    values = metric_values(capsys.readouterr().out)

    order = order_of(order_id)
    assert order.status == "CONFIRMED"
    counts = {name: sum(found) for name, found in values.items() if name != "SagaDuration"}
    assert counts["OrdersPlaced"] == 1
    assert counts["OrdersConfirmed"] == 1
    assert counts["PaymentsSucceeded"] == 1
    assert counts["NotificationsSent"] == 3
    expected_ms = (order.updated_at - order.created_at).total_seconds() * 1000
    assert values["SagaDuration"] == [pytest.approx(expected_ms)]


def test_a_cancelled_order_counts_the_cancellation_its_refund_and_its_duration(
    saga: InProcessSaga,
    place_order: Callable[..., str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    order_id = place_order(token="tok_visa")
    saga.settle()
    capsys.readouterr()

    answer = call_api(
        handle_cancel_order, rest_event("PUT", f"/orders/{order_id}/cancel", caller="alice")
    )
    saga.settle()

    assert answer.status == 200, answer.body
    values = metric_values(capsys.readouterr().out)
    assert sum(values["OrdersCancelled"]) == 1
    assert sum(values["PaymentsRefunded"]) == 1
    assert len(values["SagaDuration"]) == 1


def test_only_the_first_invocation_of_an_execution_environment_counts_a_cold_start(
    saga: InProcessSaga, capsys: pytest.CaptureFixture[str]
) -> None:
    cold_start.is_cold_start = True

    for _ in range(2):
        call_api(handle_place_order, rest_event("POST", "/orders", caller="alice", body={}))

    values = metric_values(capsys.readouterr().out)
    assert values["ColdStart"] == [1.0]


class RecordingSubsegment:
    def __init__(self, name: str, annotations: dict[str, str]) -> None:
        self.name = name
        self.annotations = annotations

    def put_annotation(self, key: str, value: str) -> None:
        self.annotations[key] = value


class RecordingProvider:
    def __init__(self) -> None:
        self.subsegments: list[RecordingSubsegment] = []

    @contextmanager
    def in_subsegment(self, name: str) -> Iterator[RecordingSubsegment]:
        subsegment = RecordingSubsegment(name, {})
        self.subsegments.append(subsegment)
        yield subsegment


def test_a_traced_invocation_annotates_each_event_with_its_order_and_type(
    saga: InProcessSaga,
    place_order: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = RecordingProvider()
    monkeypatch.setattr(observability, "_create_tracer", lambda: SimpleNamespace(provider=provider))
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793")
    order_id = place_order(token="tok_visa")

    saga.settle()

    annotated = {(s.name, tuple(sorted(s.annotations.items()))) for s in provider.subsegments}
    assert (
        "## inventory.reserved",
        (("correlation_id", order_id), ("event_type", "inventory.reserved")),
    ) in annotated


def test_without_a_trace_nothing_is_annotated_and_no_tracer_is_created(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    monkeypatch.setattr(observability, "_create_tracer", lambda: pytest.fail("tracer created"))

    with observability.traced("## work", correlation_id="order-1"):
        pass
