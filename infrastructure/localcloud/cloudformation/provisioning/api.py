"""AWS::ApiGateway::RestApi, Deployment and Stage: routes for the local API Gateway.

Routes come from the RestApi's swagger `Body` as the SAM transform renders it:
each operation's `x-amazon-apigateway-integration` names the function, and its
`security` requirement names a `securityDefinitions` entry (or "NONE").
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from localcloud.cloudformation.intrinsics import cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)
from localcloud.model import AuthKind, CognitoAuthorizer, RestApiSettings, Route, TemplateError

ANY_METHOD = "x-amazon-apigateway-any-method"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", ANY_METHOD)
_INTEGRATION = "x-amazon-apigateway-integration"
_BINARY_MEDIA_TYPES = "x-amazon-apigateway-binary-media-types"
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
    settings = RestApiSettings(rest_api_id, binary_media_types(resource, body))
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
            function = _function_of(subject, operation, functions, context)
            if function is not None:
                security = operation.get("security", body.get("security"))
                auth, cognito = _auth_of(subject, security, definitions)
                routes.append(Route(verb, path, function, auth, cognito, settings))
    return routes


def _function_of(
    subject: str, operation: dict[str, Any], functions: dict[str, str], context: ProvisionContext
) -> str | None:
    integration = operation.get(_INTEGRATION) or {}
    kind = integration.get("type")
    if kind == "mock":
        context.ignore(subject, "mock integrations are not served locally")
        return None
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
