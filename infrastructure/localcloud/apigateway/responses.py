"""The answers API Gateway composes itself, as the API maps them: its gateway responses
(no route, no or a bad token, too large, a failed function) and MOCK integrations.

A gateway response of the error's own type applies, else the API's DEFAULT_4XX or
DEFAULT_5XX, else API Gateway's default (`{"message": ...}`). Header values are mapping
expressions; body templates get API Gateway's `$context` variables substituted
(`$context.error.messageString` is the message as a JSON string). VTL directives
(`#set`, `#if`) are not evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus

from localcloud.apigateway.messages import GatewayResponse, Headers, ReceivedRequest
from localcloud.model import ResponseMapping, RestApiSettings

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
"""API Gateway's body for a gateway response the API does not customize."""
JSON = "application/json"
_CONTEXT_VARIABLE = re.compile(
    r"\$(?:\{context\.([\w.]+)\}|context\.([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*))"
)
_STAGE_VARIABLE = re.compile(r"\$(?:\{stageVariables\.\w+\}|stageVariables\.\w+)")


@dataclass(frozen=True)
class GatewayError:
    """One of API Gateway's own answers: its gateway response type, default status,
    message ($context.error.message) and x-amzn-ErrorType."""

    response_type: str
    status: int
    message: str
    error_type: str


def missing_route() -> GatewayError:
    return GatewayError(
        "MISSING_AUTHENTICATION_TOKEN",
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    )


def no_http_api_route() -> GatewayError:
    """What an HTTP API answers to a request none of its routes matches."""
    return GatewayError("DEFAULT_4XX", 404, "Not Found", "NotFoundException")


def request_too_large() -> GatewayError:
    return GatewayError("REQUEST_TOO_LARGE", 413, "Request Too Long", "RequestTooLongException")


def bad_request() -> GatewayError:
    return GatewayError("DEFAULT_4XX", 400, "Bad Request", "BadRequestException")


def unreadable_request(status: int) -> GatewayError:
    """The answer to a request the gateway cannot read as HTTP/1.1 (400, 413, 431,
    501 or 505)."""
    if status == 400:
        return bad_request()
    if status == 413:
        return request_too_large()
    phrase = HTTPStatus(status).phrase
    default_type = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
    return GatewayError(default_type, status, phrase, phrase.replace(" ", ""))


def internal_error() -> GatewayError:
    """A function that failed, timed out or answered something that is not a proxy
    response."""
    return GatewayError("DEFAULT_5XX", 502, "Internal server error", "InternalServerErrorException")


@dataclass(frozen=True)
class RequestValues:
    """What mapping expressions and templates may read of the request."""

    headers: Headers = field(default_factory=list)
    query: list[tuple[str, str]] = field(default_factory=list)
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    context: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        request: ReceivedRequest | None,
        context: Mapping[str, str],
        path_parameters: Mapping[str, str] | None = None,
    ) -> RequestValues:
        if request is None:
            return cls(context=context)
        return cls(request.headers, request.query, path_parameters or {}, context)


def gateway_response(
    error: GatewayError, api: RestApiSettings, values: RequestValues
) -> GatewayResponse:
    """The answer for `error`, as the API's gateway responses shape it."""
    default_type = "DEFAULT_5XX" if error.status >= 500 else "DEFAULT_4XX"
    mapping = api.gateway_response(error.response_type) or api.gateway_response(default_type)
    context = {
        **values.context,
        "error.message": error.message,
        "error.messageString": json.dumps(error.message),
        "error.responseType": error.response_type,
        "error.validationErrorString": "",
    }
    values = RequestValues(values.headers, values.query, values.path_parameters, context)
    if mapping is None:
        mapping = ResponseMapping(None)
    response = mapped_response(mapping, values, error.status, DEFAULT_TEMPLATE)
    return GatewayResponse(
        response.status, [*response.headers, ("x-amzn-ErrorType", error.error_type)], response.body
    )


def mapped_response(
    mapping: ResponseMapping,
    values: RequestValues,
    default_status: int = 200,
    default_template: str = "",
) -> GatewayResponse:
    """The status, headers and body a response mapping gives for one request."""
    templates = dict(mapping.templates)
    content_type = JSON if JSON in templates or not templates else next(iter(templates))
    body = render_template(templates.get(content_type, default_template), values.context)
    headers: Headers = [("Content-Type", content_type)]
    for name, expression in mapping.headers:
        value = header_value(expression, values)
        if value is not None:
            headers = [(n, v) for n, v in headers if n.lower() != name.lower()]
            headers.append((name, value))
    return GatewayResponse(mapping.status or default_status, headers, body.encode("utf-8"))


def header_value(expression: str, values: RequestValues) -> str | None:
    """A response parameter's value: a 'static' text, or what the request holds under
    `method.request.header|querystring|path.NAME` or `context.NAME` (None when absent)."""
    if len(expression) >= 2 and expression[0] == expression[-1] == "'":
        return expression[1:-1]
    source, _, name = expression.rpartition(".")
    if source == "method.request.header":
        return next((v for k, v in values.headers if k.lower() == name.lower()), None)
    if source == "method.request.querystring":
        return next((v for k, v in reversed(values.query) if k == name), None)
    if source == "method.request.path":
        return values.path_parameters.get(name)
    if expression.startswith("context."):
        return values.context.get(expression.removeprefix("context."))
    return None


def render_template(template: str, context: Mapping[str, str]) -> str:
    """The template with `$context.NAME` / `${context.NAME}` replaced (an unknown
    variable renders empty, as API Gateway renders it) and stage variables empty."""

    def variable(match: re.Match[str]) -> str:
        return context.get(match.group(1) or match.group(2), "")

    return _STAGE_VARIABLE.sub("", _CONTEXT_VARIABLE.sub(variable, template))
