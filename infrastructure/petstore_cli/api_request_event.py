"""The event `petstore invoke FUNCTION --path …` hands a function: the REST proxy event the
local cloud's API Gateway would build for that request (its routes, its proxy event, its
Cognito authorizer's verified claims), without going over HTTP."""

from __future__ import annotations

import uuid
from typing import Any

from localcloud.apigateway.authorizers.cognito import CognitoVerifier
from localcloud.apigateway.messages import ReceivedRequest
from localcloud.apigateway.proxy import StageContext, proxy_event
from localcloud.apigateway.routes import RouteTable
from localcloud.model import Stack


class NoSuchRouteError(Exception):
    pass


def api_request_event(
    stack: Stack,
    endpoint_url: str,
    function: str,
    request: ReceivedRequest,
    id_token: str | None,
) -> dict[str, Any]:
    """The proxy event of `request` to `function`'s route, with the claims of `id_token`
    (verified against the user pool, as the route's authorizer does) when it has one."""
    routes = [route for route in stack.routes if route.function == function]
    if not routes:
        raise NoSuchRouteError(f"{function} serves no API route: give it an --event FILE.")
    found = RouteTable(routes).match(request.method, request.segments)
    if found is None:
        served = ", ".join(f"{route.method} {route.path}" for route in routes)
        raise NoSuchRouteError(
            f"{function} does not serve {request.method} {request.path}; it serves {served}."
        )
    matched, path_parameters = found
    claims = None
    if id_token is not None and matched.route.cognito is not None:
        verifier = CognitoVerifier(endpoint_url, stack.region, stack.user_pools)
        claims = verifier.verify(matched.route.cognito, f"Bearer {id_token}")
    stage = StageContext(stack.api_stage, stack.account_id)
    return proxy_event(request, matched, path_parameters, stage, str(uuid.uuid4()), None, claims)


def api_request(
    method: str, target: str, body: str | None, id_token: str | None
) -> ReceivedRequest:
    """The request a client (curl with a JSON body and a bearer token) sends."""
    headers = [("Host", "127.0.0.1"), ("User-Agent", "petstore-invoke")]
    if body is not None:
        headers.append(("Content-Type", "application/json"))
    if id_token is not None:
        headers.append(("Authorization", f"Bearer {id_token}"))
    return ReceivedRequest(
        method.upper(), target, headers, (body or "").encode(), source_ip="127.0.0.1"
    )
