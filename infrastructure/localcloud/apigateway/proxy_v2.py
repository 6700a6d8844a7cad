"""The Lambda proxy integration of HTTP APIs (payload format 2.0): a request becomes the
event `sam local generate-event apigateway http-api-proxy` shows, and the function's
result the HTTP response, as API Gateway reads it (a result without `statusCode` is a
200 JSON body)."""

from __future__ import annotations

import json
import time
from typing import Any

from localcloud.apigateway.messages import GatewayResponse, ReceivedRequest
from localcloud.apigateway.proxy import (
    MalformedProxyResponse,
    StageContext,
    domain_prefix,
    event_body,
    gateway_headers,
    http_response,
)
from localcloud.apigateway.routes import DEFAULT_ROUTE, CompiledRoute

STAGE = "$default"


def route_key(matched: CompiledRoute) -> str:
    route = matched.route
    return DEFAULT_ROUTE if route.path == DEFAULT_ROUTE else f"{route.method} {route.path}"


def proxy_event_v2(
    request: ReceivedRequest,
    matched: CompiledRoute,
    path_parameters: dict[str, str],
    stage: StageContext,
    request_id: str,
    jwt: dict[str, Any] | None,
    trace: str,
) -> dict[str, Any]:
    """The HTTP API (2.0) Lambda proxy event for one request; `jwt` is the authorizer's
    claims and scopes when the route has one."""
    body, is_base64 = event_body(request, matched.route.api)
    domain_name = request.header("Host") or "localhost"
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in gateway_headers(request, trace):
        if name.lower() == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in request.query:
        query[name] = f"{query[name]},{value}" if name in query else value
    raw_query = request.target.partition("?")[2]
    now = time.time()
    context: dict[str, Any] = {
        "accountId": stage.account_id,
        "apiId": matched.route.api.api_id,
        "domainName": domain_name,
        "domainPrefix": domain_prefix(domain_name),
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.header("User-Agent") or "",
        },
        "requestId": request_id,
        "routeKey": route_key(matched),
        "stage": STAGE,
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "timeEpoch": int(now * 1000),
    }
    if jwt is not None:
        context["authorizer"] = {"jwt": jwt}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key(matched),
        "rawPath": request.path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body is not None:
        event["body"] = body
    return event


def http_response_v2(payload: object) -> GatewayResponse:
    """The HTTP response for a 2.0 result: a `statusCode` result as such (its `cookies`
    as Set-Cookie headers), anything else a 200 with the result as JSON."""
    if not isinstance(payload, dict) or "statusCode" not in payload:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return GatewayResponse(200, [("Content-Type", "application/json")], body.encode())
    cookies = payload.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedProxyResponse("cookies must be a list of strings")
    response = http_response({k: v for k, v in payload.items() if k != "cookies"})
    return GatewayResponse(
        response.status,
        [*response.headers, *(("Set-Cookie", cookie) for cookie in cookies)],
        response.body,
    )
