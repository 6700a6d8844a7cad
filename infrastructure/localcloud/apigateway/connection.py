"""HTTP/1.1 requests read off one client connection, framed as RFC 9112 says.

waitress's request parser reads each request: the request line, the header fields, a
Content-Length or chunked body, and the body quota while reading (a chunked body counts
with its chunk-size lines). This module adds the framing rules waitress leaves to its
server: Content-Length with Transfer-Encoding, or a Transfer-Encoding in HTTP/1.0, is
refused (a request smuggled behind it is never read); so is any version but 1.0 and 1.1.
Every refusal ends the connection. The header fields are kept as sent (names' case,
repeats, in order), as the proxy event carries them.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass

from waitress.adjustments import Adjustments
from waitress.parser import HTTPRequestParser, ParsingError, get_header_lines
from waitress.rfc7230 import HEADER_FIELD_RE
from waitress.utilities import RequestEntityTooLarge

from localcloud.apigateway.messages import Headers

RECEIVE_BYTES = 64 * 1024
MAX_HEADER_BYTES = 64 * 1024
"""The request line and header fields together."""
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024
DRAIN_DEADLINE_S = 5.0
SERVED_VERSIONS = ("1.0", "1.1")


@dataclass(frozen=True)
class WireRequest:
    method: str
    target: str
    """As received: percent-encoded path and query."""
    protocol: str
    headers: Headers
    body: bytes
    close: bool
    """The client asked for the connection to end after the answer."""


@dataclass(frozen=True)
class Refusal:
    """A request the gateway will not serve; the connection ends after the answer."""

    status: int
    reason: str
    method: str


class RequestReader:
    """Reads one request after another off a connection, keeping bytes that arrived
    ahead of time (a pipelined request) for the next."""

    def __init__(self, connection: socket.socket, max_body_bytes: int) -> None:
        self._connection = connection
        self._adjustments = Adjustments(
            max_request_body_size=max_body_bytes + 1,
            max_request_header_size=MAX_HEADER_BYTES,
            # Bodies stay in memory (as the proxy event holds them anyway) rather than
            # going through a temporary file: 9 MB took 23 ms that way instead of 5.
            inbuf_overflow=max_body_bytes + 1,
        )
        self._unread = b""
        self._refused_body_left = 0

    def next_request(self) -> WireRequest | Refusal | None:
        """The next request, or None once the client closed the connection."""
        parser = _GatewayParser(self._adjustments)
        continued = False
        self._refused_body_left = 0
        try:
            while not self._feed(parser):
                if parser.empty:
                    parser = _GatewayParser(self._adjustments)
                    continue
                if parser.headers_finished and parser.expect_continue and not continued:
                    self._connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                    continued = True
                received = self._connection.recv(RECEIVE_BYTES)
                if not received:
                    return None
                self._unread += received
            return self._request_of(parser)
        finally:
            parser.close()

    def discard_refused_body(self) -> None:
        """Read and drop the body of a request refused as too large, so the client gets
        to read the answer instead of a connection reset for closing on unread data."""
        deadline = time.monotonic() + DRAIN_DEADLINE_S
        remaining = self._refused_body_left
        self._connection.settimeout(1.0)
        with contextlib.suppress(OSError):
            while remaining > 0 and time.monotonic() < deadline:
                dropped = self._connection.recv(min(remaining, RECEIVE_BYTES))
                if not dropped:
                    return
                remaining -= len(dropped)

    def _feed(self, parser: _GatewayParser) -> bool:
        """Hands the parser what arrived; True once it holds a whole request."""
        while self._unread and not parser.completed:
            consumed = parser.received(self._unread)
            self._unread = self._unread[consumed:]
        return parser.completed and not parser.empty

    def _request_of(self, parser: _GatewayParser) -> WireRequest | Refusal:
        method = getattr(parser, "command", "")
        if parser.error is not None:
            too_large = isinstance(parser.error, RequestEntityTooLarge)
            if too_large and not parser.chunked and not parser.expect_continue:
                declared = min(parser.content_length, DRAIN_LIMIT_BYTES)
                self._refused_body_left = declared - len(self._unread)
            status = 505 if parser.unserved_version else parser.error.code
            return Refusal(status, parser.error.body, method)
        return WireRequest(
            method,
            parser.request_uri,
            f"HTTP/{parser.version}",
            parser.header_fields,
            parser.get_body_stream().read(),
            parser.connection_close,
        )


class _GatewayParser(HTTPRequestParser):
    """waitress's parser with RFC 9112's framing rules that waitress does not apply,
    keeping the header fields as sent."""

    header_fields: Headers
    unserved_version = False

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        self.header_fields = _fields_of(header_plus)
        if not self.version:
            raise ParsingError("the request line names no HTTP version")
        if self.version not in SERVED_VERSIONS:
            self.unserved_version = True
            raise ParsingError(f"HTTP/{self.version} is not served")
        codings = [
            coding.strip(" \t").lower()
            for name, value in self.header_fields
            if name.lower() == "transfer-encoding"
            for coding in value.split(",")
        ]
        if not codings:
            return
        if any(name.lower() == "content-length" for name, _ in self.header_fields):
            raise ParsingError("Content-Length and Transfer-Encoding both frame the body")
        if codings != ["chunked"] or not self.chunked:
            raise ParsingError(f"Transfer-Encoding {', '.join(codings)} in HTTP/{self.version}")


def _fields_of(header_plus: bytes) -> Headers:
    """The header fields of a block waitress has parsed, names as sent."""
    _, _, block = header_plus.partition(b"\r\n")
    fields = []
    for line in get_header_lines(block):
        match = HEADER_FIELD_RE.match(line)
        if match is not None:
            name, value = match.group("name", "value")
            fields.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    return fields
