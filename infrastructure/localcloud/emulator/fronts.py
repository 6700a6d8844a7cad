"""AWS APIs the local cloud answers itself, on the emulator's endpoint.

moto keeps no CloudFormation stack of the template the local cloud ran, and its Lambda
cannot run code without Docker. The local cloud therefore serves those APIs from its own
process (`localcloud.emulator.local_services`) and tells the emulator where, through
`FRONTS_PATH`; a signed call to one of those services is then forwarded there, and comes
back to moto when the local cloud answers `PASS_HEADER` (a stack it does not hold)."""

from __future__ import annotations

import http.client
import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, urlsplit

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
FRONTS_PATH = "/_localcloud/fronts"
PASS_HEADER = "X-Localcloud-Pass"
"""A forwarded call the local cloud leaves to moto carries this header in its answer."""
FORWARD_TIMEOUT_S = 960
"""Longer than Lambda's longest timeout (900 s): an Invoke waits for its function."""
_SIGNED_SERVICE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class ServiceFronts:
    """Forwards the calls of the services the local cloud registered to it."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._fronts: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == FRONTS_PATH:
            return self._register(environ, start_response)
        with self._lock:
            front = self._fronts.get(_service_of(environ))
        if front is None:
            return self._app(environ, start_response)
        body = _body(environ)
        try:
            status, headers, answer = _forward(front, environ, body)
        except OSError as error:
            message = json.dumps({"message": f"The local cloud did not answer: {error}"})
            start_response("503 Service Unavailable", [("Content-Type", "application/json")])
            return [message.encode()]
        if any(name.lower() == PASS_HEADER.lower() for name, _ in headers):
            environ["wsgi.input"] = io.BytesIO(body)
            return self._app(environ, start_response)
        start_response(status, headers)
        return [answer]

    def _register(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """PUT {"lambda": "http://127.0.0.1:PORT", ...}: where each service is answered."""
        try:
            fronts = json.loads(_body(environ) or b"{}")
            if not isinstance(fronts, dict) or not all(
                isinstance(url, str) for url in fronts.values()
            ):
                raise ValueError("an object of service name to URL")
        except ValueError as error:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [f"{FRONTS_PATH}: {error}".encode()]
        with self._lock:
            self._fronts = {str(service): url.rstrip("/") for service, url in fronts.items()}
        start_response("204 No Content", [])
        return []


def _service_of(environ: dict[str, Any]) -> str:
    """The service a SigV4 signature was made for (its credential scope)."""
    signed = environ.get("HTTP_AUTHORIZATION", "") or environ.get("QUERY_STRING", "")
    match = _SIGNED_SERVICE.search(signed.replace("%2F", "/"))
    return match.group(1) if match else ""


def _body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _forward(
    front: str, environ: dict[str, Any], body: bytes
) -> tuple[str, list[tuple[str, str]], bytes]:
    address = urlsplit(front)
    connection = http.client.HTTPConnection(
        address.hostname or "127.0.0.1", address.port, timeout=FORWARD_TIMEOUT_S
    )
    query = environ.get("QUERY_STRING", "")
    target = quote(environ.get("PATH_INFO", "/"), safe="/~:$") + (f"?{query}" if query else "")
    headers = {
        name[5:].replace("_", "-").title(): value
        for name, value in environ.items()
        if name.startswith("HTTP_") and name[5:].lower().replace("_", "-") not in _HOP_BY_HOP
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    try:
        connection.request(environ.get("REQUEST_METHOD", "GET"), target, body, headers)
        response = connection.getresponse()
        answer = response.read()
        kept = [(n, v) for n, v in response.getheaders() if n.lower() not in _HOP_BY_HOP]
        kept.append(("Content-Length", str(len(answer))))
        return f"{response.status} {response.reason}", kept, answer
    finally:
        connection.close()
