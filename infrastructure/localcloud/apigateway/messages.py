"""An HTTP request as the gateway received it, and the HTTP response it gives."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

Headers = list[tuple[str, str]]
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: Headers
    body: bytes
    request_id: str = ""

    def with_gateway_headers(self) -> GatewayResponse:
        """The headers API Gateway adds to every answer: its request id, and a JSON
        Content-Type unless the function chose one."""
        request_id = self.request_id or str(uuid.uuid4())
        headers = [(n, v) for n, v in self.headers if n.lower() != "x-amzn-requestid"]
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "application/json"))
        headers.append(("x-amzn-RequestId", request_id))
        return GatewayResponse(self.status, headers, self.body, request_id)


class BadRequest(ValueError):
    """The request line cannot be read as API Gateway would."""


# ---------------------------------------------------------------- the request


@dataclass
class ReceivedRequest:
    method: str
    target: str
    """The request target as received: percent-encoded path and query."""
    headers: Headers
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    server_port: int = 0
    """The local port the request came in on: API Gateway's X-Forwarded-Port."""
    path: str = field(init=False)
    segments: list[str] = field(init=False)
    query: list[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        raw_path, _, raw_query = self.target.partition("?")
        if not raw_path.startswith("/"):
            raise BadRequest(self.target)
        self.path = strict_unquote(raw_path)
        self.segments = [strict_unquote(part) for part in raw_path.split("/") if part]
        self.query = parse_query(raw_query)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def strict_unquote(text: str, plus_is_space: bool = False) -> str:
    """Percent-decode as UTF-8; a malformed escape or invalid UTF-8 raises BadRequest."""
    if plus_is_space:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    if _BAD_PERCENT.search(text):
        raise BadRequest(text)
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(text) from error


def parse_query(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((strict_unquote(name, True), strict_unquote(value, True)))
    return pairs
