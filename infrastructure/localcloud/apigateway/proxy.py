"""The Lambda proxy integration (payload 1.0): a request becomes the event `sam local
generate-event apigateway aws-proxy` shows, and the function's result the HTTP response."""

from __future__ import annotations

import base64
import binascii
import os
import re
import time
from dataclasses import dataclass
from typing import Any

from localcloud.apigateway.messages import GatewayResponse, Headers, ReceivedRequest
from localcloud.apigateway.routes import CompiledRoute
from localcloud.model import RestApiSettings

PROXY_RESPONSE_KEYS = frozenset(
    {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
)
HOP_BY_HOP_HEADERS = frozenset({"connection", "content-length", "transfer-encoding", "keep-alive"})
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_TRACE_ROOT = re.compile(r"(?:^|;)\s*Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(?:;|$)")


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
    body, is_base64 = event_body(request, api)
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


def event_body(request: ReceivedRequest, api: RestApiSettings) -> tuple[str | None, bool]:
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
