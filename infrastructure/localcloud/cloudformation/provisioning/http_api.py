"""AWS::ApiGatewayV2::Api (an HTTP API, SAM's `HttpApi`) and its Stage: routes for the
local API Gateway with payload format 2.0 events, from the API's OpenAPI `Body` as the SAM
transform renders it. A route's security names a JWT authorizer (issuer, audience,
identity source) or none; the `$default` route takes what no other route matches. The
local API serves every route at the root path, as the `$default` stage does."""

from __future__ import annotations

from typing import Any

from localcloud.apigateway.routes import DEFAULT_ROUTE
from localcloud.cloudformation.intrinsics import cfn_string
from localcloud.cloudformation.provisioning.api import ANY_METHOD, function_of, stable_id
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)
from localcloud.model import JwtAuthorizer, RestApiSettings, Route, TemplateError

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", ANY_METHOD)
_INTEGRATION = "x-amazon-apigateway-integration"
_IDENTITY_HEADER = "$request.header."
_TAGS = "tags have no local effect"


def create_http_api(resource: Resource, context: ProvisionContext) -> Provisioned:
    body = resource.properties.get("Body")
    if not isinstance(body, dict):
        raise resource.error("property Body: the local API reads an HTTP API's OpenAPI Body")
    api_id = stable_id(context.stack.name, resource.logical_id)
    settings = RestApiSettings(api_id)
    functions = {spec.name: logical_id for logical_id, spec in context.stack.functions.items()}
    schemes = (body.get("components") or {}).get("securitySchemes") or {}
    for path, operations in (body.get("paths") or {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            verb = "ANY" if method == ANY_METHOD else method.upper()
            subject = f"{resource.label}: {verb} {path}"
            integration = operation.get(_INTEGRATION) or {}
            version = str(integration.get("payloadFormatVersion", "2.0"))
            if version not in ("1.0", "2.0"):
                raise TemplateError(f"{subject}: payloadFormatVersion {version!r}")
            function = function_of(subject, integration, functions)
            authorizer = _jwt_of(subject, operation.get("security"), schemes)
            context.stack.routes.append(
                Route(
                    verb,
                    DEFAULT_ROUTE if path == DEFAULT_ROUTE else path,
                    function,
                    "JWT" if authorizer else "NONE",
                    api=settings,
                    payload_version=version,
                    jwt=authorizer,
                )
            )
    endpoint = f"https://{api_id}.execute-api.{context.stack.region}.amazonaws.com"
    return Provisioned(ref=api_id, attributes={"ApiId": api_id, "ApiEndpoint": endpoint})


def _jwt_of(
    subject: str, security: list[dict[str, Any]] | None, schemes: dict[str, Any]
) -> JwtAuthorizer | None:
    requirements = [(name, scopes) for entry in security or [] for name, scopes in entry.items()]
    if not requirements or requirements[0][0] == "NONE":
        return None
    name, scopes = requirements[0]
    authorizer = (schemes.get(name) or {}).get("x-amazon-apigateway-authorizer") or {}
    if authorizer.get("type") != "jwt":
        kind = authorizer.get("type") or "undefined"
        raise TemplateError(
            f"{subject}: authorizer {name} ({kind}): the local HTTP API enforces JWT authorizers"
        )
    configuration = authorizer.get("jwtConfiguration") or {}
    source = authorizer.get("identitySource", "$request.header.Authorization")
    sources = [source] if isinstance(source, str) else list(source)
    if len(sources) != 1 or not str(sources[0]).startswith(_IDENTITY_HEADER):
        raise TemplateError(
            f"{subject}: authorizer {name}: identity source {source!r} is not a header"
        )
    return JwtAuthorizer(
        name=name,
        issuer=cfn_string(configuration.get("issuer", "")),
        audience=tuple(cfn_string(item) for item in configuration.get("audience") or []),
        identity_header=str(sources[0]).removeprefix(_IDENTITY_HEADER),
        scopes=tuple(str(scope) for scope in scopes or []),
    )


def create_http_stage(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = cfn_string(resource.properties.get("StageName", "$default"))
    if name != "$default":
        context.ignore(
            f"{resource.label}: property StageName {name}",
            "the local API serves HTTP API routes at the root path, as the $default stage does",
        )
    return Provisioned(ref=name)


KINDS = {
    "AWS::ApiGatewayV2::Api": ResourceKind(
        create=create_http_api,
        properties=frozenset({"Body", "Name"}),
        ignored_properties={
            "Description": "descriptions have no local effect",
            "DisableExecuteApiEndpoint": "the local API has one endpoint",
            "FailOnWarnings": "OpenAPI import warnings have no local effect",
            "CorsConfiguration": "CORS is not answered for HTTP APIs locally",
            "Tags": _TAGS,
        },
    ),
    "AWS::ApiGatewayV2::Stage": ResourceKind(
        create=create_http_stage,
        properties=frozenset({"ApiId", "StageName", "AutoDeploy"}),
        ignored_properties={
            "DefaultRouteSettings": "no throttling locally",
            "RouteSettings": "no throttling locally",
            "AccessLogSettings": "no access logs locally",
            "StageVariables": "stage variables are not passed locally",
            "Description": "descriptions have no local effect",
            "Tags": _TAGS,
        },
    ),
}
