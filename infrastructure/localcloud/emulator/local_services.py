"""The AWS APIs the local cloud answers from its own process (the Lambda API, routed to
its invoker, and CloudFormation's view of its stacks), served on a private port that the
emulator forwards those services' signed calls to (`localcloud.emulator.fronts`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import requests

from localcloud.emulator.fronts import FRONTS_PATH, PASS_HEADER
from localcloud.emulator.process import Emulator

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceRequest:
    method: str
    path: str
    """Percent-decoded."""
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Lower-case names."""
    body: bytes

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def parameter(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(frozen=True)
class ServiceResponse:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


LEAVE_TO_EMULATOR = ServiceResponse(421, headers=((PASS_HEADER, "1"),))
"""The answer that sends a forwarded call on to moto (a stack the local cloud does not hold)."""
ServiceApi = Callable[[ServiceRequest], ServiceResponse]


class LocalServices:
    """One HTTP server for every service the local cloud answers, each by its signing name
    ("lambda", "cloudformation")."""

    def __init__(self, apis: dict[str, ServiceApi], host: str = "127.0.0.1") -> None:
        self._apis = apis
        self._server = ThreadingHTTPServer((host, 0), _Handler)
        self._server.daemon_threads = True
        self._server.apis = apis  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, emulator: Emulator) -> None:
        """Serve, and have `emulator` (one the local cloud started) forward these services'
        calls here."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-services", daemon=True
        )
        self._thread.start()
        requests.put(
            f"{emulator.endpoint_url}{FRONTS_PATH}",
            json=dict.fromkeys(self._apis, self.url),
            headers=emulator.access.control_headers(),
            timeout=10,
        ).raise_for_status()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()


def _service_of(authorization: str) -> str:
    scope = authorization.partition("Credential=")[2].split(",", 1)[0].split("/")
    return scope[3] if len(scope) > 3 else ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        """Calls are not logged: the functions they run log for themselves."""

    def _serve(self) -> None:
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = ServiceRequest(
            method=self.command,
            path=unquote(target.path),
            query=parse_qs(target.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        api = self.server.apis.get(_service_of(request.header("Authorization")))  # type: ignore[attr-defined]
        if api is None:
            response = LEAVE_TO_EMULATOR
        else:
            try:
                response = api(request)
            except Exception:
                logger.exception("The local %s API failed on %s", self.command, self.path)
                response = ServiceResponse(
                    500,
                    b'{"message": "The local cloud failed on this call; see its log."}',
                    (("Content-Type", "application/json"),),
                )
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
