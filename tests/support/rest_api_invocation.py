"""Calling a handler module as API Gateway calls it, in-process, with the local cloud's
own pieces: its REST API (v1) proxy event (`localcloud.apigateway.proxy`), its Lambda
context (`localcloud.lambda_.worker`), and its reading of the proxy result."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from localcloud.apigateway.messages import ReceivedRequest
from localcloud.apigateway.proxy import StageContext, http_response, proxy_event
from localcloud.apigateway.routes import CompiledRoute
from localcloud.cloudformation.intrinsics import ACCOUNT_ID
from localcloud.lambda_.worker import CognitoIdentity, LambdaContext
from localcloud.model import Route

REGION = "us-east-1"
STAGE = StageContext(stage="test", account_id=ACCOUNT_ID)
DEFAULT_TIMEOUT_S = 10
"""The template's Globals: every function has ten seconds."""


def rest_api_event(
    method: str,
    path: str,
    *,
    claims: Mapping[str, str] | None = None,
    resource: str | None = None,
    query: dict[str, str] | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API (v1) proxy event as the local cloud's gateway sends it, for a caller with
    these Cognito `claims` (None: no signed-in caller) on the route `resource` (the path
    itself if not given). `body` is the request body's text."""
    request_headers = {"Content-Type": "application/json", "Host": "api.example.com"}
    request_headers.update(headers or {})
    request_headers.setdefault("User-Agent", "pytest")
    target = quote(path) + (f"?{urlencode(query)}" if query else "")
    request = ReceivedRequest(
        method=method,
        target=target,
        headers=list(request_headers.items()),
        body=(body or "").encode(),
        source_ip="127.0.0.1",
        server_port=443,
    )
    route = CompiledRoute.of(
        Route(method, resource or path, function="unit", auth="COGNITO" if claims else "NONE")
    )
    return proxy_event(
        request,
        route,
        route.bind(request.segments) or {},
        STAGE,
        request_id=str(uuid.uuid4()),
        identity=None,
        claims=dict(claims) if claims else None,
    )


@dataclass(frozen=True)
class LambdaContextStub(LambdaContext):
    """The context the local cloud's worker gives a handler (identity, client_context,
    tenant_id, log(), the time left before the deadline), for `function_name`: the worker
    reads the function's name and settings from its environment, a test gives them."""

    function_name: str
    timeout_s: float = DEFAULT_TIMEOUT_S
    function_version: str = "$LATEST"
    memory_limit_in_mb: str = "512"
    tenant_id: str | None = None
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: CognitoIdentity = field(default_factory=CognitoIdentity)
    client_context: None = None
    invoked_function_arn: str = field(init=False)
    log_group_name: str = field(init=False)
    log_stream_name: str = field(init=False)
    _deadline_ms: int = field(init=False)

    def __post_init__(self) -> None:
        derived = {
            "invoked_function_arn": (
                f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"
            ),
            "log_group_name": f"/aws/lambda/{self.function_name}",
            "log_stream_name": f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}",
            "_deadline_ms": int((time.time() + self.timeout_s) * 1000),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: Any
    headers: dict[str, str]


def call_api(handler: Any, event: dict[str, Any], function_name: str = "unit-api") -> ApiAnswer:
    """A handler module's `lambda_handler` called as API Gateway calls it; its result read
    as the local cloud's gateway reads it (a malformed one raises)."""
    response = http_response(handler.lambda_handler(event, LambdaContextStub(function_name)))
    raw = response.body.decode()
    return ApiAnswer(response.status, json.loads(raw) if raw else None, dict(response.headers))
