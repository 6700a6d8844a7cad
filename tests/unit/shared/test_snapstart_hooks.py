"""The shared layer's SnapStart runtime hooks, run as Lambda runs them: every
before-snapshot hook (last registered first), then every after-restore hook (first
registered first). What one environment made during init is not shared by the
environments restored from its snapshot."""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import snapshot_restore_py
from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from petstore_shared import aws_clients, snapstart
from petstore_shared.events.catalog import OrderCancelled
from petstore_shared.events.envelope import Topic, new_event
from petstore_shared.events.kafka_bus import (
    EventNotPublished,
    KafkaEventBus,
    renew_producer_on_restore,
)
from petstore_shared.rest_api import create_rest_resolver


class Producer:
    """confluent_kafka.Producer as the bus uses it; only whether it was closed matters here."""

    def __init__(self) -> None:
        self.closed = False

    def produce(self, topic: str, **record: Any) -> None:
        raise AssertionError("nothing is published here")

    def flush(self, timeout: float) -> int:
        return 0

    def close(self) -> None:
        self.closed = True


SHARED_LAYER_HOOKS = (
    aws_clients.close_connections,
    aws_clients.prime_dynamodb_client,
    snapstart.reseed_random,
)
"""What importing the shared layer registers; the rest is registered by each test."""


@pytest.fixture(autouse=True)
def registered_hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shared layer's own hooks, without those other tests' resolvers and buses left
    behind; the DynamoDB client a hook makes is not left to other tests either."""
    for registry in ("_before_snapshot_registry", "_after_restore_registry"):
        hooks = getattr(snapshot_restore_py, registry)
        shared = [hook for hook in hooks if hook[0] in SHARED_LAYER_HOOKS]
        monkeypatch.setattr(snapshot_restore_py, registry, shared)
    yield
    aws_clients.dynamodb_client.cache_clear()


def take_snapshot() -> None:
    for hook, args, kwargs in reversed(snapshot_restore_py.get_before_snapshot()):
        hook(*args, **kwargs)


def restore() -> None:
    for hook, args, kwargs in snapshot_restore_py.get_after_restore():
        hook(*args, **kwargs)


class _RecordsConnections(BaseHTTPRequestHandler):
    """Answers every DynamoDB call with an empty table list, keeping the connection open,
    and notes which client connection (source port) each call came on."""

    protocol_version = "HTTP/1.1"
    ports: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.ports.append(self.client_address[1])
        body = json.dumps({"TableNames": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def dynamodb_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    _RecordsConnections.ports = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordsConnections)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws_clients.dynamodb_client.cache_clear()
    yield _RecordsConnections.ports
    aws_clients.dynamodb_client.cache_clear()
    server.shutdown()
    server.server_close()


def test_a_client_used_during_init_calls_on_a_new_connection_after_restore(
    dynamodb_endpoint: list[int],
) -> None:
    client = aws_clients.dynamodb_client()
    client.list_tables()
    client.list_tables()

    take_snapshot()
    restore()
    client.list_tables()

    during_init, again, restored = dynamodb_endpoint
    assert during_init == again
    assert restored != during_init


def test_the_random_generator_is_reseeded_after_restore() -> None:
    random.seed(7)
    snapshotted = random.random()
    random.seed(7)

    restore()

    assert random.random() != snapshotted


def test_the_kafka_producer_is_closed_before_the_snapshot_and_renewed_after_restore() -> None:
    made_during_init, made_on_restore = Producer(), Producer()
    bus = KafkaEventBus(made_during_init, {Topic.ORDERS: "orders"})
    renew_producer_on_restore(bus, lambda: made_on_restore)

    take_snapshot()
    closed_at_snapshot = made_during_init.closed
    restore()

    assert closed_at_snapshot
    assert not made_on_restore.closed
    assert bus._producer is made_on_restore


def test_a_closed_bus_refuses_to_publish_with_a_clear_error() -> None:
    bus = KafkaEventBus(Producer(), {Topic.ORDERS: "orders"})
    bus.close()

    cancelled = OrderCancelled(
        order_id="order-1", user_id="user-1", pet_id="pet-1", quantity=1, previous_status="PENDING"
    )

    with pytest.raises(EventNotPublished, match="producer is closed"):
        bus.publish(new_event(cancelled, source="test"))


def test_the_snapshot_holds_the_dynamodb_client_without_a_connection(
    dynamodb_endpoint: list[int],
) -> None:
    take_snapshot()

    assert aws_clients.dynamodb_client.cache_info().currsize == 1
    assert dynamodb_endpoint == []


def test_the_calls_primed_before_the_snapshot_leave_the_client_calling_aws_after_restore(
    dynamodb_endpoint: list[int],
) -> None:
    take_snapshot()
    restore()

    answer = aws_clients.dynamodb_client().list_tables()

    assert answer["TableNames"] == []
    assert len(dynamodb_endpoint) == 1


def test_each_routes_validation_model_is_built_before_the_snapshot() -> None:
    app = create_rest_resolver()

    @app.get("/pets/<pet_id>")
    def get_pet(pet_id: str) -> dict[str, str]:
        return {"id": pet_id}

    [route] = app._static_routes + app._dynamic_routes
    built_at_import = route._dependant
    take_snapshot()

    assert built_at_import is None
    assert route._dependant is not None


def test_what_a_handler_declares_is_made_before_the_snapshot_without_a_connection(
    dynamodb_endpoint: list[int],
) -> None:
    made: list[str] = []
    aws_clients.made_before_snapshot(lambda: made.append("first"), lambda: made.append("second"))
    assert made == []

    take_snapshot()

    assert made == ["first", "second"]
    assert dynamodb_endpoint == []


PUBLISHED = (
    b"<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>"
)


class _Body:
    """The raw body of a canned HTTP answer, as botocore reads it."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


def test_the_sns_bus_is_made_and_its_publish_primed_before_the_snapshot_then_publishes_to_aws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from petstore_shared.events import sns_bus
    from petstore_shared.events.bus import prepare_for_snapshot
    from petstore_shared.settings import load_settings

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("ORDERS_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:orders")
    load_settings.cache_clear()
    sns_bus.sns_event_bus_from_environment.cache_clear()
    aws_clients.sns_client.cache_clear()
    snapshot_restore_py.register_before_snapshot(prepare_for_snapshot)
    try:
        take_snapshot()

        assert sns_bus.sns_event_bus_from_environment.cache_info().currsize == 1
        sent: list[AWSPreparedRequest] = []

        def answer(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
            sent.append(request)
            return AWSResponse(request.url, 200, {}, _Body(PUBLISHED))

        aws_clients.sns_client().meta.events.register("before-send.sns.Publish", answer)
        cancelled = OrderCancelled(
            order_id="o-1", user_id="u-1", pet_id="p-1", quantity=1, previous_status="RESERVED"
        )
        sns_bus.sns_event_bus_from_environment().publish(new_event(cancelled, source="test"))
    finally:
        sns_bus.sns_event_bus_from_environment.cache_clear()
        aws_clients.sns_client.cache_clear()
        load_settings.cache_clear()

    [request] = sent
    assert "arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aorders" in str(request.body)


def test_a_consumers_idempotency_store_is_made_before_the_snapshot(
    monkeypatch: pytest.MonkeyPatch, dynamodb_endpoint: list[int]
) -> None:
    from petstore_shared.events.consumer import EventConsumer
    from petstore_shared.settings import load_settings

    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", "idempotency")
    load_settings.cache_clear()
    consumer = EventConsumer("test-consumer", {OrderCancelled: lambda event: None})
    try:
        assert "_run_once" not in vars(consumer)

        take_snapshot()

        assert "_run_once" in vars(consumer)
        assert dynamodb_endpoint == []
    finally:
        load_settings.cache_clear()


def test_a_consumers_tracer_is_made_before_the_snapshot_and_emits_on_its_own_socket_after(
    monkeypatch: pytest.MonkeyPatch, dynamodb_endpoint: list[int]
) -> None:
    from aws_xray_sdk.core import xray_recorder

    from petstore_shared import observability
    from petstore_shared.events.consumer import EventConsumer
    from petstore_shared.settings import load_settings

    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", "idempotency")
    load_settings.cache_clear()
    observability._create_tracer.cache_clear()
    observability.make_tracer_before_snapshot.cache_clear()
    drops = logging.getLogger(observability.XRAY_INIT_WARNINGS)
    try:
        EventConsumer("test-consumer", {OrderCancelled: lambda event: None})
        assert observability._create_tracer.cache_info().currsize == 0

        take_snapshot()
        in_snapshot = xray_recorder.emitter

        assert observability._create_tracer.cache_info().currsize == 1
        assert drops.getEffectiveLevel() == logging.ERROR  # the primed calls' drops
        restore()
        assert xray_recorder.emitter is not in_snapshot
        assert drops.level == logging.NOTSET
    finally:
        drops.setLevel(logging.NOTSET)
        load_settings.cache_clear()
        observability.make_tracer_before_snapshot.cache_clear()


def test_the_clients_of_a_process_are_made_from_one_botocore_session(
    dynamodb_endpoint: list[int],
) -> None:
    """Each session lists botocore's services from disk again: one is made, not one per
    client."""
    aws_clients._session.cache_clear()
    aws_clients.sns_client.cache_clear()
    try:
        dynamodb, sns = aws_clients.dynamodb_client(), aws_clients.sns_client()

        assert dynamodb.meta.service_model.service_name == "dynamodb"
        assert sns.meta.service_model.service_name == "sns"
        assert aws_clients._session.cache_info().misses == 1
    finally:
        aws_clients.sns_client.cache_clear()
