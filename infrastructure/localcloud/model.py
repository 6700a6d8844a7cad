"""What the local cloud knows about a deployed stack: the contract between
provisioning (which builds it) and the runtime pieces (which run it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

LOCAL_SQS_CONCURRENCY = 2
"""Batches of one SQS mapping in flight at once when the template sets no
ScalingConfig. Lambda starts at five and scales out; two keep a consumer's
concurrency visible locally without flooding a two-core machine with workers."""

AuthKind = Literal["NONE", "COGNITO", "AWS_IAM"]


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


@dataclass(frozen=True)
class CognitoAuthorizer:
    name: str
    user_pool_arns: tuple[str, ...]
    identity_header: str = "Authorization"


SAM_LOCAL_API_ID = "1234567890"
"""The apiId `sam local` puts in its events, for a route of no known REST API."""


@dataclass(frozen=True)
class RestApiSettings:
    """What a route's REST API decides for every request it serves."""

    api_id: str = SAM_LOCAL_API_ID
    binary_media_types: tuple[str, ...] = ()
    """Content types whose request bodies reach the function base64-encoded."""


@dataclass(frozen=True)
class Route:
    method: str
    """HTTP method in upper case, or "ANY"."""
    path: str
    """API Gateway resource path, e.g. "/pets/{petId}" or "/{proxy+}"."""
    function: str
    """Logical id of the function that serves the route."""
    auth: AuthKind
    cognito: CognitoAuthorizer | None = None
    api: RestApiSettings = RestApiSettings()


@dataclass(frozen=True)
class SqsMapping:
    function: str
    queue_url: str
    queue_arn: str
    batch_size: int = 10
    batching_window_s: float = 0.0
    report_batch_item_failures: bool = False
    enabled: bool = True
    maximum_concurrency: int = LOCAL_SQS_CONCURRENCY
    """Batches in flight at once: the template's ScalingConfig.MaximumConcurrency."""


@dataclass(frozen=True)
class StreamMapping:
    function: str
    stream_arn: str
    table_name: str
    batch_size: int = 100
    batching_window_s: float = 0.0
    starting_position: Literal["TRIM_HORIZON", "LATEST"] = "LATEST"
    maximum_retry_attempts: int = -1
    """-1 retries until the record expires, as Lambda does."""
    bisect_batch_on_error: bool = False
    report_batch_item_failures: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class UserPool:
    logical_id: str
    pool_id: str
    arn: str
    client_ids: tuple[str, ...]
    groups: tuple[str, ...]


@dataclass
class Stack:
    name: str
    region: str
    account_id: str
    api_stage: str
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    sqs_mappings: list[SqsMapping] = field(default_factory=list)
    stream_mappings: list[StreamMapping] = field(default_factory=list)
    user_pools: dict[str, UserPool] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)
    """Logical id -> what `!Ref` resolves to."""
    outputs: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    """One line per resource or property deliberately ignored locally, with the reason."""


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
