"""AWS::ApiGateway::RestApi, Deployment and Stage: routes for the local API Gateway.

Routes come from the RestApi's swagger `Body` as the SAM transform renders it:
each operation's `x-amazon-apigateway-integration` names the function (or is a MOCK,
such as the OPTIONS method SAM's `Cors` adds to every path, or an `aws` integration with a
service, see `localcloud.apigateway.service_integration`), and its `security`
requirement names a `securityDefinitions` entry (or "NONE"). The API's own answers
come from `x-amazon-apigateway-gateway-responses` (SAM's `GatewayResponses`).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from localcloud.apigateway.service_integration import service_integration
from localcloud.cloudformation.intrinsics import cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)
from localcloud.model import (
    AuthKind,
    CognitoAuthorizer,
    ResponseMapping,
    RestApiSettings,
    Route,
    TemplateError,
)

ANY_METHOD = "x-amazon-apigateway-any-method"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", ANY_METHOD)
_INTEGRATION = "x-amazon-apigateway-integration"
_BINARY_MEDIA_TYPES = "x-amazon-apigateway-binary-media-types"
_GATEWAY_RESPONSES = "x-amazon-apigateway-gateway-responses"
_MAPPING_EXPRESSION = re.compile(
    r"'.*'|method\.request\.(header|querystring|path)\.[^.]+|context\.[\w.]+|stageVariables\.\w+",
    re.DOTALL,
)
_MOCK_STATUS = re.compile(r'"statusCode"\s*:\s*"?(\d{3})')
_INVOCATION_URI = re.compile(
    r"/functions/arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:/]+)(?::[^/]+)?/invocations$"
)
_NO_AUTH = "NONE"
_DESCRIPTION = "descriptions have no local effect"
_TAGS = "tags have no local effect"


def stable_id(*parts: str) -> str:
    """A 10-character id like API Gateway's, the same every time for the same parts."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:10]


def create_rest_api(resource: Resource, context: ProvisionContext) -> Provisioned:
    body = resource.properties.get("Body") or {}
    rest_api_id = stable_id(context.stack.name, resource.logical_id)
    settings = RestApiSettings(
        rest_api_id,
        binary_media_types(resource, body),
        gateway_responses(resource.label, body),
    )
    context.stack.routes.extend(routes_of(resource, context, body, settings))
    return Provisioned(
        ref=rest_api_id,
        attributes={
            "RestApiId": rest_api_id,
            "RootResourceId": stable_id(context.stack.name, resource.logical_id, "/"),
        },
    )


def binary_media_types(resource: Resource, body: dict[str, Any]) -> tuple[str, ...]:
    """The API's BinaryMediaTypes, from the property or the swagger extension; a
    template writes "/" as "~1" (a JSON pointer escape) in either."""
    listed = resource.properties.get("BinaryMediaTypes") or body.get(_BINARY_MEDIA_TYPES) or []
    return tuple(dict.fromkeys(cfn_string(kind).replace("~1", "/") for kind in listed))


def routes_of(
    resource: Resource,
    context: ProvisionContext,
    body: dict[str, Any],
    settings: RestApiSettings,
) -> list[Route]:
    """The Lambda proxy routes of a resolved swagger (or OpenAPI 3) body."""
    functions = {spec.name: logical_id for logical_id, spec in context.stack.functions.items()}
    definitions = body.get("securityDefinitions") or body.get("components", {}).get(
        "securitySchemes", {}
    )
    routes = []
    for path, operations in (body.get("paths") or {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            verb = "ANY" if method == ANY_METHOD else method.upper()
            subject = f"{resource.label}: {verb} {path}"
            integration = operation.get(_INTEGRATION) or {}
            kind = integration.get("type")
            mock = mock_response(subject, integration) if kind == "mock" else None
            service = service_integration(subject, integration) if kind == "aws" else None
            if service is not None and "credentials" in integration:
                context.ignore(f"{subject}: integration credentials", "IAM is not enforced locally")
            function = None if mock or service else function_of(subject, integration, functions)
            security = operation.get("security", body.get("security"))
            auth, cognito = _auth_of(subject, security, definitions)
            routes.append(Route(verb, path, function, auth, cognito, settings, mock, service))
    return routes


def mock_response(subject: str, integration: dict[str, Any]) -> ResponseMapping:
    """What a MOCK integration answers: the integration response its request template's
    statusCode selects (by selection pattern, else `default`), with that response's
    header mappings and body templates."""
    request_template = (integration.get("requestTemplates") or {}).get("application/json", "")
    found = _MOCK_STATUS.search(request_template)
    selected = found.group(1) if found else "200"
    responses = integration.get("responses") or {}
    chosen = next(
        (
            response
            for pattern, response in responses.items()
            if pattern != "default" and re.fullmatch(pattern, selected)
        ),
        responses.get("default"),
    )
    if chosen is None:
        raise TemplateError(f"{subject}: no integration response for status {selected}")
    headers = _mapped_headers(subject, chosen, "method.response.header.")
    status = int(cfn_string(chosen.get("statusCode", selected)))
    return ResponseMapping(status, headers, _templates(chosen))


def gateway_responses(label: str, body: dict[str, Any]) -> tuple[tuple[str, ResponseMapping], ...]:
    """The API's gateway responses by type, as `x-amazon-apigateway-gateway-responses`
    holds them."""
    found = []
    for response_type, response in (body.get(_GATEWAY_RESPONSES) or {}).items():
        subject = f"{label}: gateway response {response_type}"
        status = response.get("statusCode")
        mapping = ResponseMapping(
            int(cfn_string(status)) if status is not None else None,
            _mapped_headers(subject, response, "gatewayresponse.header."),
            _templates(response),
        )
        found.append((response_type, mapping))
    return tuple(found)


def _mapped_headers(
    subject: str, response: dict[str, Any], prefix: str
) -> tuple[tuple[str, str], ...]:
    headers = []
    for target, source in (response.get("responseParameters") or {}).items():
        expression = cfn_string(source)
        if not target.startswith(prefix) or not _MAPPING_EXPRESSION.fullmatch(expression):
            raise TemplateError(f"{subject}: response parameter {target}: {expression!r}")
        headers.append((target.removeprefix(prefix), expression))
    return tuple(headers)


def _templates(response: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    templates = response.get("responseTemplates") or {}
    return tuple((kind, cfn_string(template)) for kind, template in templates.items())


def function_of(subject: str, integration: dict[str, Any], functions: dict[str, str]) -> str:
    kind = integration.get("type")
    if kind != "aws_proxy":
        raise TemplateError(f"{subject}: integration type {kind!r} is not supported locally")
    uri = cfn_string(integration.get("uri", ""))
    match = _INVOCATION_URI.search(uri)
    if not match or match.group(1) not in functions:
        raise TemplateError(
            f"{subject}: integration uri {uri!r} is not a function of this template"
        )
    return functions[match.group(1)]


def _auth_of(
    subject: str, security: list[dict[str, Any]] | None, definitions: dict[str, Any]
) -> tuple[AuthKind, CognitoAuthorizer | None]:
    schemes = [
        (name, scopes) for requirement in security or [] for name, scopes in requirement.items()
    ]
    if not schemes:
        return "NONE", None
    if len(schemes) > 1:
        names = ", ".join(name for name, _ in schemes)
        raise TemplateError(
            f"{subject}: combined security requirements ({names}) not supported locally"
        )
    name, scopes = schemes[0]
    if name == _NO_AUTH and name not in definitions:
        return "NONE", None
    definition = definitions.get(name)
    if definition is None:
        raise TemplateError(f"{subject}: security scheme {name} is not defined")
    if definition.get("x-amazon-apigateway-authtype") == "awsSigv4":
        return "AWS_IAM", None
    authorizer = definition.get("x-amazon-apigateway-authorizer") or {}
    if authorizer.get("type") != "cognito_user_pools":
        kind = authorizer.get("type") or definition.get("type")
        raise TemplateError(f"{subject}: security scheme {name} ({kind}) is not supported locally")
    if scopes:
        raise TemplateError(f"{subject}: authorization scopes {scopes} are not enforced locally")
    pool_arns = tuple(cfn_string(arn) for arn in authorizer.get("providerARNs", []))
    header = cfn_string(definition.get("name", "Authorization"))
    return "COGNITO", CognitoAuthorizer(name=name, user_pool_arns=pool_arns, identity_header=header)


def create_deployment(resource: Resource, context: ProvisionContext) -> Provisioned:
    if resource.properties.get("StageName"):
        context.deployment_stage_names.add(cfn_string(resource.properties["StageName"]))
    return Provisioned(ref=stable_id(context.stack.name, resource.logical_id))


def create_stage(resource: Resource, context: ProvisionContext) -> Provisioned:
    stage_name = resource.properties.get("StageName")
    if not stage_name:
        raise resource.error("property StageName is required")
    context.stage_names.add(cfn_string(stage_name))
    return Provisioned(ref=cfn_string(stage_name))


def api_stage_of(context: ProvisionContext) -> str:
    """The one stage the local API serves ("" when the template has no API)."""
    names = context.stage_names or context.deployment_stage_names
    if len(names) > 1:
        raise TemplateError(f"API stages {sorted(names)}: the local API serves one stage only")
    return next(iter(names), "")


KINDS = {
    "AWS::ApiGateway::RestApi": ResourceKind(
        create=create_rest_api,
        properties=frozenset({"Body", "Name", "BinaryMediaTypes"}),
        ignored_properties={
            "Description": _DESCRIPTION,
            "EndpointConfiguration": "the local API has one endpoint",
            "Parameters": "swagger import options have no local effect",
            "MinimumCompressionSize": "responses are not compressed locally",
            "Policy": "resource policies are not enforced locally",
            "DisableExecuteApiEndpoint": "the local API has one endpoint",
            "FailOnWarnings": "swagger import warnings have no local effect",
            "ApiKeySourceType": "API keys are not used locally",
            "Mode": "swagger import options have no local effect",
            "Tags": _TAGS,
        },
    ),
    "AWS::ApiGateway::Deployment": ResourceKind(
        create=create_deployment,
        properties=frozenset({"RestApiId", "StageName"}),
        ignored_properties={
            "Description": _DESCRIPTION,
            "StageDescription": "stage settings have no local effect",
            "DeploymentCanarySettings": "no canary deployments locally",
        },
    ),
    "AWS::ApiGateway::Stage": ResourceKind(
        create=create_stage,
        properties=frozenset({"StageName", "RestApiId", "DeploymentId"}),
        ignored_properties={
            "Description": _DESCRIPTION,
            "MethodSettings": "no throttling, caching or execution logs locally",
            "TracingEnabled": "no X-Ray locally",
            "AccessLogSetting": "no access logs locally",
            "CacheClusterEnabled": "no response cache locally",
            "CacheClusterSize": "no response cache locally",
            "CanarySetting": "no canary deployments locally",
            "ClientCertificateId": "integrations are called directly locally",
            "DocumentationVersion": "documentation has no local effect",
            "Tags": _TAGS,
        },
    ),
}
