"""Calling a handler module as API Gateway calls it, in-process: a REST API (v1) proxy
event, a Lambda context, and the proxy result read back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


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
    """A REST API (v1) proxy event as API Gateway sends it, for a caller with these
    Cognito `claims` (None: no signed-in caller). `body` is the request body's text."""
    request_headers = {"Content-Type": "application/json", "Host": "api.example.com"}
    request_headers.update(headers or {})
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": request_headers,
        "multiValueHeaders": {name: [value] for name, value in request_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": (
            {name: [value] for name, value in query.items()} if query else None
        ),
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "petstoreapi",
            "authorizer": {"claims": dict(claims)} if claims else None,
            "httpMethod": method,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "pytest", "userArn": None},
            "path": f"/test{path}",
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "resourcePath": resource or path,
            "stage": "test",
        },
        "body": body,
        "isBase64Encoded": False,
    }


@dataclass(frozen=True)
class LambdaContextStub:
    function_name: str
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:unit"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name: str = "/aws/lambda/unit"
    log_stream_name: str = "2026/11/24/[$LATEST]unit"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: Any
    headers: dict[str, str]


def call_api(handler: Any, event: dict[str, Any], function_name: str = "unit-api") -> ApiAnswer:
    """A handler module's `lambda_handler` called as API Gateway calls it."""
    result = handler.lambda_handler(event, LambdaContextStub(function_name))
    headers = {name: values[-1] for name, values in (result.get("multiValueHeaders") or {}).items()}
    headers.update(result.get("headers") or {})
    raw = result.get("body")
    return ApiAnswer(result["statusCode"], json.loads(raw) if raw else None, headers)
