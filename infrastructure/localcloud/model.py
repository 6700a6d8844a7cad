"""What the local cloud knows about a deployed stack: the contract between
provisioning (which builds it) and the runtime pieces (which run it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

AuthKind = Literal["NONE", "COGNITO", "AWS_IAM", "JWT"]


class TemplateError(Exception):
    """The template cannot be run locally; the message names the resource and property."""


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    layer_dirs: tuple[Path, ...]
    environment: dict[str, str]
    timeout_s: float
    memory_mb: int
    runtime: str
    arn: str
    log_group: str = ""
    """The CloudWatch Logs group its LoggingConfig names; empty: Lambda's default."""

    @property
    def log_group_name(self) -> str:
        return self.log_group or f"/aws/lambda/{self.name}"


@dataclass(frozen=True)
class CognitoAuthorizer:
    name: str
    user_pool_arns: tuple[str, ...]
    identity_header: str = "Authorization"


@dataclass(frozen=True)
class JwtAuthorizer:
    """An HTTP API's JWT authorizer: tokens of `issuer` for one of `audience`."""

    name: str
    issuer: str
    audience: tuple[str, ...]
    identity_header: str = "Authorization"
    scopes: tuple[str, ...] = ()
    """The route's authorization scopes: the token's `scope` must hold one of them."""


SAM_LOCAL_API_ID = "1234567890"
"""The apiId `sam local` puts in its events, for a route of no known REST API."""


@dataclass(frozen=True)
class ResponseMapping:
    """An answer API Gateway composes itself, as the API maps it: a MOCK integration's
    response, or one of the API's gateway responses."""

    status: int | None
    """None: a gateway response keeps the status of its type."""
    headers: tuple[tuple[str, str], ...] = ()
    """Each header's name and mapping expression: a 'static' value (in single quotes),
    method.request.header|querystring|path.NAME, context.NAME or stageVariables.NAME."""
    templates: tuple[tuple[str, str], ...] = ()
    """Each content type's body template ($context variables substituted)."""


@dataclass(frozen=True)
class RestApiSettings:
    """What a route's REST API decides for every request it serves."""

    api_id: str = SAM_LOCAL_API_ID
    binary_media_types: tuple[str, ...] = ()
    """Content types whose request bodies reach the function base64-encoded."""
    gateway_responses: tuple[tuple[str, ResponseMapping], ...] = ()
    """The API's own answers it customizes, by gateway response type (UNAUTHORIZED,
    DEFAULT_4XX, ...)."""

    def gateway_response(self, response_type: str) -> ResponseMapping | None:
        return dict(self.gateway_responses).get(response_type)


@dataclass(frozen=True)
class ServiceIntegration:
    """A REST API method integrated straight with an AWS service (`type: aws`), such as
    SQS SendMessage: the request API Gateway sends the service, and how it maps the
    service's answer."""

    service: str
    """The service the integration URI names (e.g. "sqs")."""
    path: str
    """The service path the URI names (for SQS, ACCOUNT/QUEUE)."""
    http_method: str
    request_parameters: tuple[tuple[str, str], ...] = ()
    """integration.request.header|querystring.NAME -> mapping expression."""
    request_templates: tuple[tuple[str, str], ...] = ()
    """Content type -> mapping template for the service request's body."""
    passthrough_behavior: str = "WHEN_NO_MATCH"
    responses: tuple[tuple[str, ResponseMapping], ...] = ()
    """Selection pattern (on the service's status code) or "default" -> the response."""


@dataclass(frozen=True)
class Route:
    method: str
    """HTTP method in upper case, or "ANY"."""
    path: str
    """API Gateway resource path, e.g. "/pets/{petId}" or "/{proxy+}"."""
    function: str | None
    """Logical id of the function that serves the route; None for a MOCK integration."""
    auth: AuthKind
    cognito: CognitoAuthorizer | None = None
    api: RestApiSettings = RestApiSettings()
    mock: ResponseMapping | None = None
    """What a MOCK integration (such as SAM's CORS preflight) answers."""
    service: ServiceIntegration | None = None
    """The AWS service an `aws` integration calls instead of a function."""
    payload_version: str = "1.0"
    """The Lambda proxy event and response format: "1.0" (REST APIs) or "2.0" (HTTP APIs)."""
    jwt: JwtAuthorizer | None = None


@dataclass(frozen=True)
class UserPool:
    logical_id: str
    pool_id: str
    arn: str
    client_ids: tuple[str, ...]
    groups: tuple[str, ...]


@dataclass
class StackDescription:
    """What CloudFormation tells about a stack beyond what runs it (DescribeStacks,
    ListStackResources)."""

    description: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    """Each parameter's value as DescribeStacks shows it (a NoEcho one masked)."""
    resource_types: dict[str, str] = field(default_factory=dict)
    """Logical id -> resource type, for every resource of the transformed template."""
    output_descriptions: dict[str, str] = field(default_factory=dict)
    export_names: dict[str, str] = field(default_factory=dict)
    """Output name -> the name it is exported under."""


@dataclass
class Stack:
    name: str
    region: str
    account_id: str
    api_stage: str
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    event_sources: dict[str, Any] = field(default_factory=dict)
    """Each kind of event source's own part of the stack (its mappings, and what they
    read from), under the kind's name: see `part_of`."""
    user_pools: dict[str, UserPool] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)
    """Logical id -> what `!Ref` resolves to."""
    outputs: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    """One line per resource or property deliberately ignored locally, with the reason."""
    described: StackDescription = field(default_factory=StackDescription)

    def part_of[P](self, source: str, make: Callable[[], P]) -> P:
        """The event source `source`'s part of the stack, made by `make` on first use."""
        if source not in self.event_sources:
            self.event_sources[source] = make()
        part: P = self.event_sources[source]
        return part


@dataclass(frozen=True)
class InvocationResult:
    """The outcome of one Lambda invocation, as the Lambda service reports it."""

    ok: bool
    payload: object = None
    """The handler's return value (JSON-compatible) when `ok`."""
    error_type: str | None = None
    """e.g. "ValueError" for a handler exception, "Timeout", "WorkerCrashed"."""
    error_message: str | None = None
    duration_ms: float = 0.0
    cold_start: bool = False
    request_id: str = ""
