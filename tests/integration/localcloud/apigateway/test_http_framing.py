"""The API Gateway emulator reads HTTP/1.1 as RFC 9112 frames it, over raw sockets:
ambiguous or invalid framing is refused with 400 (or 501) and the connection closed, so
bytes behind it are never run as another request; bodies over API Gateway's 10 MB quota
are refused with 413 while they arrive, before any authorizer or function runs."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from localcloud.apigateway.authorizers.sigv4 import SigV4Verifier
from localcloud.apigateway.gateway import ApiGateway
from localcloud.apigateway.messages import Headers
from localcloud.emulator.process import free_port
from localcloud.model import InvocationResult, Route

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
OFFERED_BYTES = 64 * MIB
"""What a hostile client tries to push; far more than the socket buffers hold."""
ANSWER_TIMEOUT_S = 10.0
STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3}) ")
ROUTES = [
    Route("POST", "/pets", "AddPet", "NONE"),
    Route("GET", "/pets/{petId}", "GetPet", "NONE"),
    Route("POST", "/secure", "Secure", "AWS_IAM"),
]


class CountingFunctions:
    """Stands in for the invoker: records every event and answers 200."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, function: str, event: dict[str, Any], trace: str) -> InvocationResult:
        self.events.append(event)
        return InvocationResult(ok=True, payload={"statusCode": 200, "body": "{}"})


class SpyVerifier(SigV4Verifier):
    """A SigV4 authorizer that records being asked, and lets every request through."""

    def __init__(self) -> None:
        super().__init__({}, "us-east-1", "123456789012")
        self.calls = 0

    def verify(self, *_args: Any, **_kwargs: Any) -> dict[str, str]:
        self.calls += 1
        return {"accessKey": "test"}


@dataclass
class Exchange:
    answer: bytes
    closed: bool
    """The gateway ended the connection (end of stream or a reset)."""
    body_bytes_sent: int
    statuses: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.statuses = [int(code) for code in STATUS_LINE.findall(self.answer)]

    @property
    def head(self) -> str:
        return self.answer.partition(b"\r\n\r\n")[0].decode("latin-1")

    @property
    def body(self) -> Any:
        return json.loads(self.answer.partition(b"\r\n\r\n")[2])


@dataclass
class Gateway:
    api: ApiGateway
    functions: CountingFunctions
    sigv4: SpyVerifier

    def exchange(self, head: bytes, body: Iterable[bytes] = ()) -> Exchange:
        """Sends `head`, then `body` from a second thread while reading what the gateway
        answers until it closes the connection (or ANSWER_TIMEOUT_S passes)."""
        port = int(self.api.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.settimeout(ANSWER_TIMEOUT_S)
            client.sendall(head)
            sent = [0]

            def send_body() -> None:
                with contextlib.suppress(OSError):
                    for piece in body:
                        client.sendall(piece)
                        sent[0] += len(piece)

            sender = threading.Thread(target=send_body, daemon=True)
            sender.start()
            answer, closed = b"", False
            with contextlib.suppress(TimeoutError):
                try:
                    while received := client.recv(65536):
                        answer += received
                    closed = True
                except ConnectionResetError:
                    closed = True
            sender.join(ANSWER_TIMEOUT_S)
        return Exchange(answer, closed, sent[0])


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    functions, sigv4 = CountingFunctions(), SpyVerifier()
    api = ApiGateway(
        ROUTES,
        functions,
        stage="Prod",
        region="us-east-1",
        account_id="123456789012",
        cognito=None,
        sigv4=sigv4,
        port=free_port(),
    )
    api.start()
    yield Gateway(api, functions, sigv4)
    api.stop()


def junk(total: int, piece: bytes = b"x" * MIB) -> Iterator[bytes]:
    for _ in range(total // len(piece)):
        yield piece


def chunks(total: int, size: int = MIB) -> Iterator[bytes]:
    piece = f"{size:x}\r\n".encode() + b"x" * size + b"\r\n"
    for _ in range(total // size):
        yield piece


def refused(exchange: Exchange, status: int | tuple[int, ...]) -> bool:
    wanted = status if isinstance(status, tuple) else (status,)
    return (
        len(exchange.statuses) == 1
        and exchange.statuses[0] in wanted
        and "\r\nConnection: close" in exchange.head
        and exchange.closed
    )


# ---------------------------------------------------------------- chunk sizes


def test_a_negative_chunk_size_is_400_and_the_connection_closes_unread(
    gateway: Gateway,
) -> None:
    head = b"POST /pets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n"

    exchange = gateway.exchange(head, junk(OFFERED_BYTES))

    assert refused(exchange, 400)
    assert exchange.body == {"message": "Bad Request"}
    # The gateway stopped reading at the bad size: most of the offer never got through.
    assert exchange.body_bytes_sent < OFFERED_BYTES // 2
    assert gateway.functions.events == []


# ---------------------------------------------------------------- conflicting framing


def test_content_length_with_chunked_is_400_and_the_smuggled_request_never_runs(
    gateway: Gateway,
) -> None:
    smuggled = b"GET /pets/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    head = (
        b"POST /pets HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled
    )

    exchange = gateway.exchange(head)

    assert refused(exchange, 400)
    assert gateway.functions.events == []


def test_differing_content_lengths_are_400_and_the_rest_never_runs(gateway: Gateway) -> None:
    smuggled = b"GET /pets/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    head = (
        b"POST /pets HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Content-Length: " + str(5 + len(smuggled)).encode() + b"\r\n\r\nhello" + smuggled
    )

    exchange = gateway.exchange(head)

    assert refused(exchange, 400)
    assert gateway.functions.events == []


@pytest.mark.parametrize(
    "codings", ["xchunked", "chunked, gzip", "gzip, chunked", "chunked, chunked"]
)
def test_a_transfer_coding_other_than_chunked_alone_is_refused_and_closed(
    gateway: Gateway, codings: str
) -> None:
    head = (
        f"POST /pets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {codings}\r\n\r\n0\r\n\r\n"
    ).encode()

    exchange = gateway.exchange(head)

    assert refused(exchange, (400, 501))
    assert gateway.functions.events == []


def test_transfer_encoding_in_http_1_0_is_400_and_closed(gateway: Gateway) -> None:
    head = b"POST /pets HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"

    exchange = gateway.exchange(head)

    assert refused(exchange, 400)
    assert gateway.functions.events == []


# ---------------------------------------------------------------- header lines


@pytest.mark.parametrize(
    "line", [b"this line has no colon", b"Bad Name: value", b"X-Control: a\x01b"]
)
def test_a_malformed_header_line_is_400_and_closed(gateway: Gateway, line: bytes) -> None:
    head = b"GET /pets/1 HTTP/1.1\r\nHost: x\r\n" + line + b"\r\nX-After: seen\r\n\r\n"

    exchange = gateway.exchange(head)

    assert refused(exchange, 400)
    assert gateway.functions.events == []


# ---------------------------------------------------------------- the 10 MB quota


def test_a_content_length_over_10_mb_is_413_before_authorization(gateway: Gateway) -> None:
    head = b"POST /secure HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (11 * MIB)

    exchange = gateway.exchange(head, junk(11 * MIB))

    assert exchange.statuses == [413]
    assert exchange.body == {"message": "Request Too Long"}
    assert "x-amzn-ErrorType: RequestTooLongException" in exchange.head
    assert "\r\nConnection: close" in exchange.head
    assert gateway.sigv4.calls == 0
    assert gateway.functions.events == []


def test_a_chunked_body_over_10_mb_is_413_without_reading_it_all(gateway: Gateway) -> None:
    head = b"POST /secure HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

    exchange = gateway.exchange(head, chunks(OFFERED_BYTES))

    assert refused(exchange, 413)
    assert exchange.body == {"message": "Request Too Long"}
    assert exchange.body_bytes_sent < OFFERED_BYTES // 2
    assert gateway.sigv4.calls == 0
    assert gateway.functions.events == []


# ---------------------------------------------------------------- what still works


def test_pipelined_requests_on_one_connection_are_each_answered(gateway: Gateway) -> None:
    head = (
        b"POST /pets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n0\r\nTrailer: t\r\n\r\n"
        b"GET /pets/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )

    exchange = gateway.exchange(head)

    assert exchange.statuses == [200, 200]
    assert [event["body"] for event in gateway.functions.events] == ["hello", None]


def test_header_names_arrive_as_sent_with_every_repeat(gateway: Gateway) -> None:
    head = (
        b"GET /pets/1 HTTP/1.1\r\nHost: x\r\nX-Mixed_Case: one\r\n"
        b"x-repeated: a\r\nX-Repeated: b\r\nConnection: close\r\n\r\n"
    )

    gateway.exchange(head)

    [event] = gateway.functions.events
    headers: Headers = [(k, v) for k, vs in event["multiValueHeaders"].items() for v in vs]
    assert ("X-Mixed_Case", "one") in headers
    assert [v for k, v in headers if k.lower() == "x-repeated"] == ["a", "b"]


def test_a_client_expecting_100_continue_sends_its_body_after_it(gateway: Gateway) -> None:
    port = int(gateway.api.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_TIMEOUT_S) as client:
        client.sendall(
            b"POST /pets HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        interim = client.recv(4096)
        client.sendall(b"hello")
        final = b"".join(iter(lambda: client.recv(65536), b""))

    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert final.startswith(b"HTTP/1.1 200 ")
    assert [event["body"] for event in gateway.functions.events] == ["hello"]
