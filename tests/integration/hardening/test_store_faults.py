"""The fault switch on its own, in front of a small HTTP server: it passes requests
through, refuses connections while unreachable, holds answers back while slow, holds
requests while hung (counting them), and passes everything again once cleared."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from localcloud.testing.faults import StoreFaults, StoreMode
from support.waiting import wait_until

pytestmark = pytest.mark.integration


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def faults() -> Iterator[StoreFaults]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    switch = StoreFaults(f"http://127.0.0.1:{server.server_address[1]}")
    switch.start()
    yield switch
    switch.stop()
    server.shutdown()
    server.server_close()


def get(faults: StoreFaults, timeout_s: float = 5.0) -> requests.Response:
    return requests.get(f"{faults.url}/", timeout=timeout_s)


def test_requests_pass_through_until_a_fault_is_set(faults: StoreFaults) -> None:
    assert faults.mode is StoreMode.PASS
    assert get(faults).text == "hello"


def test_an_unreachable_store_refuses_connections_until_cleared(faults: StoreFaults) -> None:
    faults.unreachable()

    with pytest.raises(requests.ConnectionError):
        get(faults)
    faults.clear()
    assert get(faults).text == "hello"


def test_a_slow_store_answers_late(faults: StoreFaults) -> None:
    faults.slow(0.3)
    started = time.monotonic()

    answer = get(faults)

    assert answer.text == "hello"
    assert time.monotonic() - started >= 0.3


def test_a_hung_store_holds_requests_and_lets_them_go_when_cleared(faults: StoreFaults) -> None:
    faults.hang()
    answers: list[requests.Response] = []
    caller = threading.Thread(target=lambda: answers.append(get(faults, timeout_s=10)))
    caller.start()

    wait_until(lambda: faults.held_requests == 1, what="the request held")
    assert not answers
    faults.clear()
    caller.join(timeout=10)

    assert [answer.text for answer in answers] == ["hello"]
    assert faults.held_requests == 0
