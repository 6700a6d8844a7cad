"""API Gateway (REST API, Lambda proxy integration v1) in front of the local functions.

Serves the API at the root path, as `sam local start-api` does; the stage appears only
in `requestContext`. Each request becomes the event `sam local generate-event apigateway
aws-proxy` shows, and the function's result becomes the HTTP response.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import hashlib
import io
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote_to_bytes

from localcloud.apigateway.authorizers.verifiers import (
    AuthRejected,
    CognitoVerifier,
    SigV4Verifier,
    missing_authentication_token,
)
from localcloud.emulator.process import PortInUseError
from localcloud.model import InvocationResult, RestApiSettings, Route, TemplateError

logger = logging.getLogger(__name__)

Invoke = Callable[[str, dict[str, Any], str], InvocationResult]
"""Invokes a function (logical id) with an event and the request's X-Amzn-Trace-Id."""
LocalPage = Callable[[], tuple[int, dict[str, str], bytes]]
RequestObserver = Callable[[Route | None, int, float], None]
"""Told of each answered request: the matched route (None if none), status, latency (ms)."""
Headers = list[tuple[str, str]]

MAX_BODY_BYTES = 10 * 1024 * 1024
"""API Gateway's payload quota."""
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024
DRAIN_DEADLINE_S = 5.0
PROXY_RESPONSE_KEYS = frozenset(
    {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)
HOP_BY_HOP_HEADERS = frozenset({"connection", "content-length", "transfer-encoding", "keep-alive"})
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_TRACE_ROOT = re.compile(r"(?:^|;)\s*Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(?:;|$)")


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


def json_error(status: int, message: str | None, error_type: str) -> GatewayResponse:
    body = json.dumps({"message": message}).encode()
    return GatewayResponse(status, [("x-amzn-ErrorType", error_type)], body)


def _internal_error() -> GatewayResponse:
    return json_error(502, "Internal server error", "InternalServerErrorException")


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


# ---------------------------------------------------------------- routing


LITERAL, PARAM, GREEDY = 0, 1, 2


@dataclass(frozen=True)
class CompiledRoute:
    route: Route
    pattern: tuple[tuple[int, str], ...]
    resource_id: str

    @classmethod
    def of(cls, route: Route) -> CompiledRoute:
        pattern = tuple(_segment_kind(part) for part in route.path.split("/") if part)
        if any(kind == GREEDY for kind, _ in pattern[:-1]):
            raise TemplateError(f"Route {route.method} {route.path}: a {{proxy+}} must be last.")
        resource_id = hashlib.sha1(route.path.encode()).hexdigest()[:6]
        return cls(route, pattern, resource_id)

    @property
    def precedence(self) -> tuple[tuple[int, ...], bool]:
        """Sorts before every other route that matches the same request: literal segments
        beat `{param}` beats `{proxy+}`, then an exact method beats ANY."""
        return tuple(kind for kind, _ in self.pattern), self.route.method == "ANY"

    def bind(self, segments: list[str]) -> dict[str, str] | None:
        """The path parameters when the segments match, else None."""
        params: dict[str, str] = {}
        for index, (kind, name) in enumerate(self.pattern):
            if kind == GREEDY:
                if index >= len(segments):
                    return None
                params[name] = "/".join(segments[index:])
                return params
            if index >= len(segments) or (kind == LITERAL and segments[index] != name):
                return None
            if kind == PARAM:
                params[name] = segments[index]
        return params if len(segments) == len(self.pattern) else None


def _segment_kind(part: str) -> tuple[int, str]:
    if part.startswith("{") and part.endswith("+}"):
        return GREEDY, part[1:-2]
    if part.startswith("{") and part.endswith("}"):
        return PARAM, part[1:-1]
    return LITERAL, part


class RouteTable:
    def __init__(self, routes: list[Route]) -> None:
        compiled = [CompiledRoute.of(route) for route in routes]
        self._routes = sorted(compiled, key=lambda entry: entry.precedence)

    def match(
        self, method: str, segments: list[str]
    ) -> tuple[CompiledRoute, dict[str, str]] | None:
        for entry in self._routes:
            if entry.route.method not in (method, "ANY"):
                continue
            params = entry.bind(segments)
            if params is not None:
                return entry, params
        return None


# ---------------------------------------------------------------- events and results


@dataclass(frozen=True)
class StageContext:
    stage: str
    account_id: str


def trace_header(request: ReceivedRequest) -> str:
    """The request's X-Amzn-Trace-Id as API Gateway passes it on: the caller's trace
    root when it sent a well-formed one, else a new root."""
    match = _TRACE_ROOT.search(request.header("X-Amzn-Trace-Id") or "")
    return f"Root={match.group(1) if match else new_trace_root()}"


def new_trace_root() -> str:
    """An X-Ray trace id: version 1, the epoch second in hex, 96 random bits."""
    return f"1-{int(time.time()):08x}-{os.urandom(12).hex()}"


def proxy_event(
    request: ReceivedRequest,
    matched: CompiledRoute,
    path_parameters: dict[str, str],
    stage: StageContext,
    request_id: str,
    identity: dict[str, str] | None,
    claims: dict[str, str] | None,
    trace: str | None = None,
) -> dict[str, Any]:
    """The REST API (v1) Lambda proxy event for one request; `trace` is its
    X-Amzn-Trace-Id (a new one if not given)."""
    api = matched.route.api
    body, is_base64 = _event_body(request, api)
    domain_name = request.header("Host") or "localhost"
    headers = gateway_headers(request, trace or trace_header(request))
    context: dict[str, Any] = {
        "accountId": stage.account_id,
        "apiId": api.api_id,
        "resourceId": matched.resource_id,
        "resourcePath": matched.route.path,
        "httpMethod": request.method,
        "path": f"/{stage.stage}{request.path}",
        "stage": stage.stage,
        "requestId": request_id,
        "extendedRequestId": base64.b64encode(os.urandom(11)).decode(),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
        "requestTimeEpoch": int(time.time() * 1000),
        "protocol": request.protocol,
        "domainName": domain_name,
        "domainPrefix": domain_prefix(domain_name),
        "identity": _identity(request, identity),
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": matched.route.path,
        "path": request.path,
        "httpMethod": request.method,
        **_single_and_multi("headers", "multiValueHeaders", headers),
        **_single_and_multi(
            "queryStringParameters", "multiValueQueryStringParameters", request.query
        ),
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _single_and_multi(single: str, multi: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """API Gateway's two views of repeatable names: the last value, and all of them."""
    if not pairs:
        return {single: None, multi: None}
    all_values: dict[str, list[str]] = {}
    for name, value in pairs:
        all_values.setdefault(name, []).append(value)
    return {single: {name: values[-1] for name, values in all_values.items()}, multi: all_values}


def gateway_headers(request: ReceivedRequest, trace: str) -> Headers:
    """The request's headers with those API Gateway sets on the way to the function:
    the client's address appended to X-Forwarded-For, the port and scheme it was
    reached on, and the trace id."""
    added = {"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"}
    forwarded_for = ", ".join([*_header_values(request, "X-Forwarded-For"), request.source_ip])
    return [
        *((name, value) for name, value in request.headers if name.lower() not in added),
        ("X-Forwarded-For", forwarded_for),
        ("X-Forwarded-Port", str(request.server_port)),
        ("X-Forwarded-Proto", "http"),
        ("X-Amzn-Trace-Id", trace),
    ]


def _header_values(request: ReceivedRequest, name: str) -> list[str]:
    return [value for key, value in request.headers if key.lower() == name.lower()]


def domain_prefix(domain_name: str) -> str:
    """The first label of the host name, as API Gateway derives it from the domain
    the request was sent to (the API id on an execute-api domain)."""
    host = domain_name.rsplit(":", 1)[0] if domain_name.count(":") == 1 else domain_name
    return host.split(".", 1)[0]


def _event_body(request: ReceivedRequest, api: RestApiSettings) -> tuple[str | None, bool]:
    """API Gateway base64-encodes a body only when the API lists its content type as
    binary; any other body reaches the function as text, bytes that are not UTF-8
    replaced."""
    if not request.body:
        return None, False
    if is_binary_media_type(request.header("Content-Type"), api.binary_media_types):
        return base64.b64encode(request.body).decode("ascii"), True
    return request.body.decode("utf-8", errors="replace"), False


def is_binary_media_type(content_type: str | None, binary_media_types: tuple[str, ...]) -> bool:
    """Whether the request's Content-Type is listed: exactly, by a `type/*` entry, or
    because the API lists `*/*`."""
    listed = {entry.lower() for entry in binary_media_types}
    if "*/*" in listed:
        return True
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    kind = media_type.split("/", 1)[0]
    return bool(media_type) and bool({media_type, f"{kind}/*"} & listed)


def _identity(request: ReceivedRequest, signer: dict[str, str] | None) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "sourceIp": request.source_ip,
        "principalOrgId": None,
        "accessKey": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": request.header("User-Agent"),
        "user": None,
    }
    identity.update(signer or {})
    return identity


class MalformedProxyResponse(ValueError):
    """The function returned something API Gateway cannot turn into an HTTP response."""


def http_response(payload: object) -> GatewayResponse:
    """The HTTP response for a proxy integration result, as API Gateway builds it."""
    if not isinstance(payload, dict) or not set(payload) <= PROXY_RESPONSE_KEYS:
        raise MalformedProxyResponse("the result must be an object with proxy response keys only")
    status = payload.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode {status!r} is not an HTTP status")
    headers = _response_headers(payload.get("headers"), payload.get("multiValueHeaders"))
    return GatewayResponse(status, headers, _response_body(payload))


def _response_headers(single: object, multi: object) -> Headers:
    if not isinstance(single, dict | None) or not isinstance(multi, dict | None):
        raise MalformedProxyResponse("headers and multiValueHeaders must be objects")
    multi = multi or {}
    merged: Headers = []
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] must be a list")
        merged.extend((name, _header_text(name, value)) for value in values)
    for name, value in (single or {}).items():
        if name not in multi:
            merged.append((name, _header_text(name, value)))
    return [(name, value) for name, value in merged if name.lower() not in HOP_BY_HOP_HEADERS]


def _header_text(name: object, value: object) -> str:
    if not isinstance(name, str) or not _HEADER_NAME.match(name):
        raise MalformedProxyResponse(f"{name!r} is not a header name")
    if isinstance(value, dict | list) or value is None:
        raise MalformedProxyResponse(f"header {name} must have a scalar value")
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if "\r" in text or "\n" in text or not text.isprintable():
        raise MalformedProxyResponse(f"header {name} has control characters")
    try:
        text.encode("latin-1")
    except UnicodeEncodeError as error:
        raise MalformedProxyResponse(f"header {name} is not Latin-1 text") from error
    return text


def _response_body(payload: dict[str, Any]) -> bytes:
    body = payload.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedProxyResponse("body must be a string")
    if not payload.get("isBase64Encoded"):
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error as error:
        raise MalformedProxyResponse("body is not valid base64") from error


# ---------------------------------------------------------------- the gateway


class ApiGateway:
    """The REST API of one stack on host:port, served by a thread per connection."""

    def __init__(
        self,
        routes: list[Route],
        invoke: Invoke,
        *,
        stage: str,
        region: str,
        account_id: str,
        cognito: CognitoVerifier | None,
        sigv4: SigV4Verifier,
        host: str = "127.0.0.1",
        port: int = 3000,
        local_pages: dict[str, LocalPage] | None = None,
        observe_request: RequestObserver | None = None,
    ) -> None:
        _check_authorizers(routes, cognito)
        self._routes = RouteTable(routes)
        self._invoke = invoke
        self._stage = StageContext(stage, account_id)
        self.region = region
        self._cognito = cognito
        self._sigv4 = sigv4
        self._host = host
        self._port = port
        self._local_pages = dict(local_pages or {})
        self._observe_request = observe_request
        self._server: _GatewayServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        port = self._server.server_address[1] if self._server else self._port
        return f"http://{self._host}:{port}"

    def start(self) -> None:
        try:
            server = _GatewayServer((self._host, self._port), _GatewayHandler)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUseError(self._host, self._port, "The API Gateway emulator") from error
            raise
        server.gateway = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name=f"apigateway:{self.url}",
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def redeploy(self, routes: list[Route], cognito: CognitoVerifier | None) -> None:
        """Serve new routes and authorizers from the next request on, as a new
        deployment does (e.g. after the stack's user pool was created again)."""
        _check_authorizers(routes, cognito)
        self._routes, self._cognito = RouteTable(routes), cognito

    def local_page(self, method: str, target: str) -> GatewayResponse | None:
        page = self._local_pages.get(target.partition("?")[0]) if method == "GET" else None
        if page is None:
            return None
        status, headers, body = page()
        return GatewayResponse(status, list(headers.items()), body)

    def respond(self, request: ReceivedRequest) -> GatewayResponse:
        """The response API Gateway gives to one request."""
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        response, route = self._respond(request, request_id)
        if self._observe_request is not None:
            latency_ms = (time.perf_counter() - started) * 1000
            self._observe_request(route, response.status, latency_ms)
        return replace(response, request_id=request_id).with_gateway_headers()

    def _respond(
        self, request: ReceivedRequest, request_id: str
    ) -> tuple[GatewayResponse, Route | None]:
        found = self._routes.match(request.method, request.segments)
        if found is None:
            return _rejection(missing_authentication_token()), None
        matched, path_parameters = found
        try:
            identity, claims = self._authorize(matched.route, request)
        except AuthRejected as rejection:
            return _rejection(rejection), matched.route
        trace = trace_header(request)
        event = proxy_event(
            request, matched, path_parameters, self._stage, request_id, identity, claims, trace
        )
        return self._call(matched.route, event, trace), matched.route

    def _authorize(
        self, route: Route, request: ReceivedRequest
    ) -> tuple[dict[str, str] | None, dict[str, str] | None]:
        if route.auth == "AWS_IAM":
            identity = self._sigv4.verify(
                request.method, request.target, request.headers, request.body
            )
            return identity, None
        if route.auth == "COGNITO" and route.cognito is not None and self._cognito is not None:
            token = request.header(route.cognito.identity_header)
            return None, self._cognito.verify(route.cognito, token)
        return None, None

    def _call(self, route: Route, event: dict[str, Any], trace: str) -> GatewayResponse:
        request_id = event["requestContext"]["requestId"]
        try:
            result = self._invoke(route.function, event, trace)
        except Exception:
            logger.exception("Invoking %s for %s failed", route.function, request_id)
            return _internal_error()
        if not result.ok:
            logger.warning(
                "%s %s: %s failed: %s: %s",
                event["httpMethod"],
                event["path"],
                route.function,
                result.error_type,
                result.error_message,
            )
            return _internal_error()
        try:
            return http_response(result.payload)
        except MalformedProxyResponse as error:
            logger.warning(
                "%s %s: malformed Lambda proxy response from %s: %s",
                event["httpMethod"],
                event["path"],
                route.function,
                error,
            )
            return _internal_error()


def _check_authorizers(routes: list[Route], cognito: CognitoVerifier | None) -> None:
    for route in routes:
        if route.auth != "COGNITO":
            continue
        if route.cognito is None or cognito is None:
            raise TemplateError(
                f"Route {route.method} {route.path} uses a Cognito authorizer, "
                "but no user pool is known to verify its tokens."
            )
        unknown = [arn for arn in route.cognito.user_pool_arns if not cognito.knows_pool(arn)]
        if unknown:
            raise TemplateError(
                f"Route {route.method} {route.path}: authorizer {route.cognito.name} names "
                f"user pools the stack does not have: {', '.join(unknown)}"
            )


def _rejection(rejection: AuthRejected) -> GatewayResponse:
    return json_error(rejection.status, rejection.message, rejection.error_type)


# ---------------------------------------------------------------- HTTP


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    """socketserver's default backlog of 5 resets connections under a burst of clients."""
    gateway: ApiGateway

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake the threads waiting on idle keep-alive connections so they end."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("Connection from %s ended with an error", client_address, exc_info=True)


class _GatewayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "localcloud-apigateway"
    disable_nagle_algorithm = True
    timeout = 120
    """Idle keep-alive connections are closed after this many seconds."""
    server: _GatewayServer

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if self.parse_request():
                self._serve()
        except (TimeoutError, ConnectionError):
            self.close_connection = True

    def handle_expect_100(self) -> bool:
        with contextlib.suppress(BadRequest):
            if self._declared_length() > MAX_BODY_BYTES:
                self._send_too_long(drain=False)
                return False
        return super().handle_expect_100()

    def _serve(self) -> None:
        try:
            declared = self._declared_length()
            if declared > MAX_BODY_BYTES:
                self._send_too_long(drain=True)
                return
            body = self._read_body(declared)
        except _BodyTooLong:
            self._send_too_long(drain=False)
            return
        except BadRequest:
            self._send(json_error(400, "Bad Request", "BadRequestException"), close=True)
            return
        self._send(self._answer(body))

    def _answer(self, body: bytes) -> GatewayResponse:
        gateway = self.server.gateway
        try:
            page = gateway.local_page(self.command, self.path)
            if page is not None:
                return page
            request = ReceivedRequest(
                self.command,
                self.path,
                list(self.headers.items()),
                body,
                self.client_address[0],
                self.request_version,
                self.server.server_address[1],
            )
            return gateway.respond(request)
        except BadRequest:
            return json_error(400, "Bad Request", "BadRequestException")
        except Exception:
            logger.exception("The API Gateway emulator failed on %s %s", self.command, self.path)
            return _internal_error()

    def _declared_length(self) -> int:
        value = self.headers.get("Content-Length")
        if value is None:
            return 0
        if not value.strip().isdigit():
            raise BadRequest(f"Content-Length: {value}")
        return int(value)

    def _read_body(self, declared: int) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return _read_chunked(self.rfile, MAX_BODY_BYTES)
        body = self.rfile.read(declared) if declared else b""
        if len(body) < declared:
            raise ConnectionError("the client closed the connection mid-body")
        return body

    def _send_too_long(self, *, drain: bool) -> None:
        self._send(json_error(413, "Request Too Long", "RequestTooLongException"), close=True)
        if drain:
            self._discard_body(self._declared_length())

    def _discard_body(self, length: int) -> None:
        """Read and drop the refused body, so the client gets to read the 413 instead of
        a connection reset for closing on unread data."""
        deadline = time.monotonic() + DRAIN_DEADLINE_S
        remaining = min(length, DRAIN_LIMIT_BYTES)
        self.connection.settimeout(1.0)
        try:
            while remaining > 0 and time.monotonic() < deadline:
                chunk = self.rfile.read1(min(remaining, 1 << 16))
                if not chunk:
                    return
                remaining -= len(chunk)
        except OSError:
            return

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's answers to unreadable HTTP, as JSON instead of an HTML page."""
        status = HTTPStatus(code)
        self._send(json_error(code, message or status.phrase, status.phrase.replace(" ", "")), True)

    def _send(self, response: GatewayResponse, close: bool = False) -> None:
        if close:
            self.close_connection = True
        self.wfile.write(self._serialize(response))

    def _serialize(self, response: GatewayResponse) -> bytes:
        if not response.request_id:
            response = response.with_gateway_headers()
        # 204 and 304 never carry a body; HEAD announces the length GET would send.
        body = b"" if response.status in (204, 304) else response.body
        headers = [
            *response.headers,
            ("Date", formatdate(usegmt=True)),
            ("Content-Length", str(len(body))),
        ]
        if self.close_connection:
            headers.append(("Connection", "close"))
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = "Unknown"
        head = [f"HTTP/1.1 {response.status} {reason}"] + [f"{n}: {v}" for n, v in headers]
        if getattr(self, "command", None) == "HEAD":
            body = b""
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class _BodyTooLong(Exception):
    pass


def _read_chunked(stream: io.BufferedIOBase, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        size_line = stream.readline(1026).split(b";")[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError as error:
            raise BadRequest("malformed chunk size") from error
        if size == 0:
            while stream.readline(65537).strip():
                pass
            return b"".join(chunks)
        total += size
        if total > limit:
            raise _BodyTooLong()
        chunks.append(stream.read(size))
        stream.readline(3)
