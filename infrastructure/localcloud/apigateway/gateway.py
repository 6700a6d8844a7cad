"""API Gateway (REST API, Lambda proxy integration v1) in front of the local functions.

Serves the API at the root path, as `sam local start-api` does, and under its stage's
prefix, as its execute-api URL does (`/Prod/items` and `/items` are one route); the stage
appears only in `requestContext`. Each request becomes the event
`sam local generate-event apigateway aws-proxy` shows, and the function's result becomes
the HTTP response. A MOCK integration (a CORS preflight) and the gateway's own answers are
rendered from the API's mappings (responses.py); an `aws` integration calls its service
(service_integration.py).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import socketserver
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

from localcloud.apigateway.authorizers.cognito import CognitoVerifier
from localcloud.apigateway.authorizers.jwt_authorizer import JwtVerifier
from localcloud.apigateway.authorizers.rejections import AuthRejected, unauthorized
from localcloud.apigateway.authorizers.sigv4 import SigV4Verifier
from localcloud.apigateway.connection import Refusal, RequestReader, WireRequest
from localcloud.apigateway.cors import is_preflight, without_uncovered_allowance
from localcloud.apigateway.messages import BadRequest, GatewayResponse, ReceivedRequest
from localcloud.apigateway.proxy import (
    MalformedProxyResponse,
    StageContext,
    http_response,
    proxy_event,
    trace_header,
)
from localcloud.apigateway.proxy_v2 import http_response_v2, proxy_event_v2
from localcloud.apigateway.responses import (
    GatewayError,
    RequestValues,
    bad_request,
    gateway_response,
    internal_error,
    mapped_response,
    missing_route,
    no_http_api_route,
    unreadable_request,
)
from localcloud.apigateway.routes import CompiledRoute, RouteTable
from localcloud.apigateway.service_integration import ServiceCaller
from localcloud.emulator.process import PortInUseError
from localcloud.model import InvocationResult, RestApiSettings, Route, TemplateError

logger = logging.getLogger(__name__)

Invoke = Callable[[str, dict[str, Any], str], InvocationResult]
"""Invokes a function (logical id) with an event and the request's X-Amzn-Trace-Id."""
LocalPage = Callable[[], tuple[int, dict[str, str], bytes]]
RequestObserver = Callable[[Route | None, int, float], None]
"""Told of each answered request: the matched route (None if none), status, latency (ms)."""
AccessLog = Callable[[str, str, int, float], None]
"""Told of every answer sent, as `sam local start-api` logs it: method, path (no query,
which may carry secrets), status and milliseconds from the request read to its answer."""
Headers = list[tuple[str, str]]

MAX_BODY_BYTES = 10 * 1024 * 1024
"""API Gateway's payload quota."""
IDLE_TIMEOUT_S = 120
"""Idle keep-alive connections are closed after this many seconds."""


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
        log_access: AccessLog | None = None,
        services: ServiceCaller | None = None,
        jwt: JwtVerifier | None = None,
    ) -> None:
        _check_authorizers(routes, cognito)
        self._routes = RouteTable(routes)
        self._api = _api_of(routes)
        self._only_http_apis = bool(routes) and all(r.payload_version == "2.0" for r in routes)
        self._invoke = invoke
        self._stage = StageContext(stage, account_id)
        self.region = region
        self._cognito = cognito
        self._sigv4 = sigv4
        self._host = host
        self._port = port
        self._local_pages = dict(local_pages or {})
        self._observe_request = observe_request
        self.log_access = log_access
        self._services = services
        self._jwt = jwt
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
        self._routes, self._api, self._cognito = RouteTable(routes), _api_of(routes), cognito
        self._only_http_apis = bool(routes) and all(r.payload_version == "2.0" for r in routes)

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
        response, route = self._respond(self._without_stage(request), request_id)
        if self._observe_request is not None:
            latency_ms = (time.perf_counter() - started) * 1000
            self._observe_request(route, response.status, latency_ms)
        return replace(response, request_id=request_id).with_gateway_headers()

    def _without_stage(self, request: ReceivedRequest) -> ReceivedRequest:
        """The request as API Gateway routes it when its path starts with the stage, as
        an execute-api URL's does: `/Prod/items` serves the route `/items`."""
        stage = self._stage.stage
        if not stage or request.segments[:1] != [stage]:
            return request
        if self._routes.match(request.method, request.segments) is not None:
            return request
        target = request.target.removeprefix(f"/{stage}")
        if not target.startswith("/"):
            target = f"/{target}"
        return replace(request, target=target)

    def error_response(
        self,
        error: GatewayError,
        request: ReceivedRequest | None = None,
        request_id: str = "",
        matched: CompiledRoute | None = None,
        path_parameters: dict[str, str] | None = None,
    ) -> GatewayResponse:
        """The gateway's own answer to a request it turns away, as the API's gateway
        responses shape it (those of the API the request reached, else the stack's)."""
        api = matched.route.api if matched else self._api
        request_id = request_id or str(uuid.uuid4())
        context = self._context(request, request_id, matched, api)
        values = RequestValues.of(request, context, path_parameters)
        return replace(gateway_response(error, api, values), request_id=request_id)

    def _context(
        self,
        request: ReceivedRequest | None,
        request_id: str,
        matched: CompiledRoute | None,
        api: RestApiSettings,
    ) -> dict[str, str]:
        """The $context variables a mapping may read."""
        context = {
            "requestId": request_id,
            "extendedRequestId": request_id,
            "stage": self._stage.stage,
            "accountId": self._stage.account_id,
            "apiId": api.api_id,
        }
        if request is not None:
            context |= {
                "httpMethod": request.method,
                "path": f"/{self._stage.stage}{request.path}",
                "domainName": request.header("Host") or "localhost",
            }
        if matched is not None:
            context |= {"resourcePath": matched.route.path, "resourceId": matched.resource_id}
        return context

    def _respond(
        self, request: ReceivedRequest, request_id: str
    ) -> tuple[GatewayResponse, Route | None]:
        found = self._routes.match(request.method, request.segments)
        if found is None:
            missing = no_http_api_route() if self._only_http_apis else missing_route()
            return self.error_response(missing, request, request_id), None
        matched, path_parameters = found
        route = matched.route
        try:
            identity, claims = self._authorize(route, request)
            jwt_context = self._verify_jwt(route, request)
        except AuthRejected as rejection:
            rejected = self.error_response(
                rejection.error, request, request_id, matched, path_parameters
            )
            return rejected, route
        if route.mock is not None:
            context = self._context(request, request_id, matched, route.api)
            values = RequestValues.of(request, context, path_parameters)
            response = mapped_response(route.mock, values)
            if is_preflight(request):
                response = without_uncovered_allowance(request, response)
            return response, route
        if route.service is not None:
            context = self._context(request, request_id, matched, route.api)
            values = RequestValues.of(request, context, path_parameters)
            outcome = self._call_service(route, request, values)
            if isinstance(outcome, GatewayError):
                return self.error_response(outcome, request, request_id, matched), route
            return outcome, route
        trace = trace_header(request)
        if route.payload_version == "2.0":
            event = proxy_event_v2(
                request, matched, path_parameters, self._stage, request_id, jwt_context, trace
            )
        else:
            event = proxy_event(
                request, matched, path_parameters, self._stage, request_id, identity, claims, trace
            )
        answer = self._call(route, request, event, trace)
        if answer is None:
            answer = self.error_response(internal_error(), request, request_id, matched)
        return answer, route

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

    def _verify_jwt(self, route: Route, request: ReceivedRequest) -> dict[str, Any] | None:
        if route.auth != "JWT" or route.jwt is None:
            return None
        if self._jwt is None:
            raise unauthorized()
        return self._jwt.verify(route.jwt, request.header(route.jwt.identity_header))

    def _call_service(
        self, route: Route, request: ReceivedRequest, values: RequestValues
    ) -> GatewayResponse | GatewayError:
        assert route.service is not None
        if self._services is None:
            return internal_error()
        try:
            return self._services.respond(route.service, request, values)
        except Exception:
            logger.exception(
                "%s %s: the %s integration failed",
                request.method,
                request.path,
                route.service.service,
            )
            return internal_error()

    def _call(
        self, route: Route, request: ReceivedRequest, event: dict[str, Any], trace: str
    ) -> GatewayResponse | None:
        """The function's answer, or None when it failed to give one."""
        request_id = event["requestContext"]["requestId"]
        if route.function is None:
            return None
        try:
            result = self._invoke(route.function, event, trace)
        except Exception:
            logger.exception("Invoking %s for %s failed", route.function, request_id)
            return None
        if not result.ok:
            logger.warning(
                "%s %s: %s failed: %s: %s",
                request.method,
                request.path,
                route.function,
                result.error_type,
                result.error_message,
            )
            return None
        try:
            if route.payload_version == "2.0":
                return http_response_v2(result.payload)
            return http_response(result.payload)
        except MalformedProxyResponse as error:
            logger.warning(
                "%s %s: malformed Lambda proxy response from %s: %s",
                request.method,
                request.path,
                route.function,
                error,
            )
            return None


def _api_of(routes: list[Route]) -> RestApiSettings:
    """The REST API whose gateway responses answer a request no route matches: the
    stack's (the first, when the stack has more than one)."""
    return routes[0].api if routes else RestApiSettings()


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


# ---------------------------------------------------------------- HTTP


class _GatewayServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128
    """socketserver's default backlog of 5 resets connections under a burst of clients."""
    gateway: ApiGateway

    def __init__(self, address: tuple[str, int], handler: type[_GatewayHandler]) -> None:
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


class _GatewayHandler(socketserver.BaseRequestHandler):
    """Serves one client connection: request after request until either side ends it."""

    server: _GatewayServer
    request: socket.socket

    def handle(self) -> None:
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request.settimeout(IDLE_TIMEOUT_S)
        reader = RequestReader(self.request, MAX_BODY_BYTES)
        with contextlib.suppress(TimeoutError, ConnectionError):
            while self._serve_one(reader):
                pass

    def _serve_one(self, reader: RequestReader) -> bool:
        """Answers the next request; False once the connection is to end."""
        received = reader.next_request()
        if received is None:
            return False
        started = time.perf_counter()
        if isinstance(received, Refusal):
            logger.debug("Refused a request from %s: %s", self.client_address, received.reason)
            refusal = self.server.gateway.error_response(unreadable_request(received.status))
            self._log_access(received.method, "", refusal.status, started)
            self._send(refusal, received.method, close=True)
            reader.discard_refused_body()
            return False
        answer = self._answer(received)
        # Logged before it is sent, so the line is there when the client has its answer.
        self._log_access(received.method, received.target, answer.status, started)
        self._send(answer, received.method, close=received.close)
        return not received.close

    def _log_access(self, method: str, target: str, status: int, started: float) -> None:
        log_access = self.server.gateway.log_access
        if log_access is not None:
            path = target.partition("?")[0] or "-"
            log_access(method or "-", path, status, (time.perf_counter() - started) * 1000)

    def _answer(self, received: WireRequest) -> GatewayResponse:
        gateway = self.server.gateway
        try:
            page = gateway.local_page(received.method, received.target)
            if page is not None:
                return page
            request = ReceivedRequest(
                received.method,
                received.target,
                received.headers,
                received.body,
                self.client_address[0],
                received.protocol,
                self.server.server_address[1],
            )
            return gateway.respond(request)
        except BadRequest:
            return gateway.error_response(bad_request())
        except Exception:
            logger.exception(
                "The API Gateway emulator failed on %s %s", received.method, received.target
            )
            return gateway.error_response(internal_error())

    def _send(self, response: GatewayResponse, method: str, *, close: bool) -> None:
        self.request.sendall(_serialize(response, method, close=close))


def _serialize(response: GatewayResponse, method: str, *, close: bool) -> bytes:
    if not response.request_id:
        response = response.with_gateway_headers()
    # 204 and 304 never carry a body; HEAD announces the length GET would send.
    body = b"" if response.status in (204, 304) else response.body
    headers = [
        *response.headers,
        ("Date", formatdate(usegmt=True)),
        ("Content-Length", str(len(body))),
    ]
    if close:
        headers.append(("Connection", "close"))
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    head = [f"HTTP/1.1 {response.status} {reason}"] + [f"{n}: {v}" for n, v in headers]
    if method == "HEAD":
        body = b""
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
