"""REST API methods integrated straight with an AWS service (`type: aws`): the request
API Gateway sends the service, made from the method request by the integration's request
parameters and request template (or passed through, as its passthrough behavior says),
signed and sent to the emulator; the service's answer mapped by the integration response
its status code selects. SQS (`arn:aws:apigateway:REGION:sqs:path/ACCOUNT/QUEUE`, as for
SendMessage) is the service integrated locally."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from localcloud.apigateway.mapping_templates import (
    TemplateInput,
    UnsupportedTemplate,
    check_template,
    render,
)
from localcloud.apigateway.messages import GatewayResponse, Headers, ReceivedRequest
from localcloud.apigateway.responses import JSON, GatewayError, RequestValues, header_value
from localcloud.model import ResponseMapping, ServiceIntegration, TemplateError

SERVICES = ("sqs",)
_URI = re.compile(
    r"arn:[^:]+:apigateway:[^:]*:(?P<service>[^:]+):(?P<kind>path|action)/(?P<rest>.+)"
)
_REQUEST_TARGET = re.compile(r"integration\.request\.(header|querystring)\.(.+)")
_REQUEST_SOURCE = re.compile(
    r"'.*'|method\.request\.(header|querystring|path)\.[^.]+|context\.[\w.]+", re.DOTALL
)
_RESPONSE_SOURCE = re.compile(r"'.*'|integration\.response\.header\.[^.]+", re.DOTALL)
PASSTHROUGH_BEHAVIORS = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
TIMEOUT_S = 29
"""API Gateway's integration timeout."""


def unsupported_media_type() -> GatewayError:
    return GatewayError(
        "UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type", "UnsupportedMediaTypeException"
    )


def service_integration(subject: str, integration: dict[str, Any]) -> ServiceIntegration:
    """The integration as the API's definition gives it; a TemplateError naming what the
    local API cannot do."""
    uri = str(integration.get("uri", ""))
    found = _URI.fullmatch(uri)
    if found is None or found.group("service") not in SERVICES or found.group("kind") != "path":
        raise TemplateError(
            f"{subject}: integration uri {uri!r}: the local API integrates with "
            f"{', '.join(SERVICES)} by path (arn:aws:apigateway:REGION:sqs:path/ACCOUNT/QUEUE)"
        )
    behavior = str(integration.get("passthroughBehavior", "when_no_match")).upper()
    if behavior not in PASSTHROUGH_BEHAVIORS:
        raise TemplateError(
            f"{subject}: passthroughBehavior {behavior!r} is not one of API Gateway's"
        )
    return ServiceIntegration(
        service=found.group("service"),
        path=found.group("rest"),
        http_method=str(integration.get("httpMethod", "POST")).upper(),
        request_parameters=_request_parameters(subject, integration),
        request_templates=_templates(subject, integration.get("requestTemplates") or {}),
        passthrough_behavior=behavior,
        responses=_responses(subject, integration.get("responses") or {}),
    )


def _request_parameters(subject: str, integration: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    parameters = []
    for target, source in (integration.get("requestParameters") or {}).items():
        if not _REQUEST_TARGET.fullmatch(target) or not _REQUEST_SOURCE.fullmatch(str(source)):
            raise TemplateError(
                f"{subject}: request parameter {target}: {source!r} is not mapped locally"
            )
        parameters.append((target, str(source)))
    return tuple(parameters)


def _templates(subject: str, templates: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    for content_type, template in templates.items():
        try:
            check_template(str(template))
        except UnsupportedTemplate as error:
            raise TemplateError(
                f"{subject}: mapping template for {content_type}: {error}"
            ) from None
    return tuple((content_type, str(template)) for content_type, template in templates.items())


def _responses(subject: str, responses: dict[str, Any]) -> tuple[tuple[str, ResponseMapping], ...]:
    mapped = []
    for pattern, response in responses.items():
        headers = []
        for target, source in (response.get("responseParameters") or {}).items():
            name = target.removeprefix("method.response.header.")
            if name == target or not _RESPONSE_SOURCE.fullmatch(str(source)):
                raise TemplateError(
                    f"{subject}: response parameter {target}: {source!r} is not mapped locally"
                )
            headers.append((name, str(source)))
        templates = _templates(subject, response.get("responseTemplates") or {})
        status = int(response.get("statusCode", 200))
        mapped.append((str(pattern), ResponseMapping(status, tuple(headers), templates)))
    return tuple(mapped)


class ServiceCaller:
    """Calls the emulator's services for `aws` integrations, signed as API Gateway's
    integration role would sign (with this run's credentials)."""

    def __init__(self, endpoint_url: str, region: str, credentials: Credentials) -> None:
        self._endpoint_url = endpoint_url.rstrip("/")
        self._region = region
        self._credentials = credentials

    def respond(
        self,
        integration: ServiceIntegration,
        request: ReceivedRequest,
        values: RequestValues,
    ) -> GatewayResponse | GatewayError:
        given = TemplateInput(
            request.body.decode(errors="replace"),
            values.path_parameters,
            values.query,
            values.headers,
            values.context,
        )
        body = self._service_body(integration, request, given)
        if body is None:
            return unsupported_media_type()
        headers, query = self._service_parameters(integration, values)
        status, service_headers, service_body = self._send(integration, headers, query, body)
        chosen = _selected(integration.responses, status)
        if chosen is None:
            return GatewayError(
                "DEFAULT_5XX", 500, "Internal server error", "InternalServerErrorException"
            )
        return _mapped(chosen, service_headers, service_body, given)

    def _service_body(
        self, integration: ServiceIntegration, request: ReceivedRequest, given: TemplateInput
    ) -> str | None:
        """The service request's body, None when API Gateway answers 415 instead."""
        content_type = (request.header("Content-Type") or JSON).split(";")[0].strip().lower()
        templates = {kind.lower(): template for kind, template in integration.request_templates}
        if content_type in templates:
            return render(templates[content_type], given)
        behavior = integration.passthrough_behavior
        if behavior == "NEVER" or (behavior == "WHEN_NO_TEMPLATES" and templates):
            return None
        return given.body

    def _service_parameters(
        self, integration: ServiceIntegration, values: RequestValues
    ) -> tuple[Headers, list[tuple[str, str]]]:
        headers: Headers = []
        query: list[tuple[str, str]] = []
        for target, source in integration.request_parameters:
            value = header_value(source, values)
            if value is None:
                continue
            place, _, name = target.removeprefix("integration.request.").partition(".")
            (headers if place == "header" else query).append((name, value))
        return headers, query

    def _send(
        self,
        integration: ServiceIntegration,
        headers: Headers,
        query: list[tuple[str, str]],
        body: str,
    ) -> tuple[int, Headers, bytes]:
        url = f"{self._endpoint_url}/{integration.path}"
        if query:
            url += "?" + urlencode(query)
        data = body.encode()
        signed = AWSRequest(integration.http_method, url, dict(headers), data)
        SigV4Auth(self._credentials, integration.service, self._region).add_auth(signed)
        call = urllib.request.Request(
            url, data=data, headers=dict(signed.headers), method=integration.http_method
        )
        try:
            with urllib.request.urlopen(call, timeout=TIMEOUT_S) as answer:
                return answer.status, list(answer.headers.items()), answer.read()
        except urllib.error.HTTPError as refused:
            return refused.code, list(refused.headers.items()), refused.read()


def _selected(
    responses: tuple[tuple[str, ResponseMapping], ...], status: int
) -> ResponseMapping | None:
    """The integration response whose selection pattern matches the service's status
    code, else the default one."""
    for pattern, response in responses:
        if pattern != "default" and re.fullmatch(pattern, str(status)):
            return response
    return dict(responses).get("default")


def _mapped(
    chosen: ResponseMapping, service_headers: Headers, service_body: bytes, given: TemplateInput
) -> GatewayResponse:
    templates = dict(chosen.templates)
    if templates:
        content_type = JSON if JSON in templates else next(iter(templates))
        rendered = render(
            templates[content_type], TemplateInput(service_body.decode(), context=given.context)
        )
        headers: Headers = [("Content-Type", content_type)]
        body = rendered.encode()
    else:
        kind = next((v for k, v in service_headers if k.lower() == "content-type"), JSON)
        headers, body = [("Content-Type", kind)], service_body
    for name, source in chosen.headers:
        value = (
            source[1:-1]
            if source.startswith("'")
            else next(
                (v for k, v in service_headers if k.lower() == source.rsplit(".", 1)[1].lower()),
                None,
            )
        )
        if value is not None:
            headers = [(n, v) for n, v in headers if n.lower() != name.lower()] + [(name, value)]
    return GatewayResponse(chosen.status or 200, headers, body)
