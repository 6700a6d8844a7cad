"""The Lambda API (REST-JSON, 2015-03-31) of the running stack's functions: Invoke runs
them on the local invoker, as `aws lambda invoke` and boto3's lambda client expect.

Functions are named as Lambda takes them: a name, an ARN, a partial ARN
(`ACCOUNT:function:NAME`), each with an optional `:QUALIFIER`: `$LATEST`, or a version or
alias the template publishes (all run the function's one local code).

An asynchronous invocation (InvocationType Event) runs once: no retries, no destinations."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from localcloud.emulator.local_services import ServiceRequest, ServiceResponse
from localcloud.lambda_.log_tail import InvocationLogs
from localcloud.model import FunctionSpec, InvocationResult, Stack

logger = logging.getLogger(__name__)
VERSION = "$LATEST"
_PUBLISHED = frozenset({"AWS::Lambda::Version", "AWS::Lambda::Alias"})
MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
_PREFIX = "/2015-03-31"
_FUNCTION_NAME = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<arn_account>\d{12}):function:"
    r"|(?P<account>\d{12}):function:)?(?P<name>[a-zA-Z0-9_-]+)(?::(?P<qualifier>[a-zA-Z0-9$_-]+))?$"
)
_ROUTES = (
    ("POST", re.compile(rf"^{_PREFIX}/functions/(?P<function>[^/]+)/invocations/?$"), "invoke"),
    ("GET", re.compile(rf"^{_PREFIX}/functions/?$"), "list_functions"),
    ("GET", re.compile(rf"^{_PREFIX}/functions/(?P<function>[^/]+)/?$"), "get_function"),
    (
        "GET",
        re.compile(rf"^{_PREFIX}/functions/(?P<function>[^/]+)/configuration/?$"),
        "get_configuration",
    ),
    ("GET", re.compile(rf"^{_PREFIX}/event-source-mappings/?$"), "list_mappings"),
    ("GET", re.compile(rf"^{_PREFIX}/event-source-mappings/(?P<uuid>[^/]+)/?$"), "get_mapping"),
)
_OPERATIONS = (
    "Invoke, ListFunctions, GetFunction, GetFunctionConfiguration, "
    "ListEventSourceMappings and GetEventSourceMapping"
)
_STARTED = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class LambdaError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class RunsFunctions(Protocol):
    """A running stack's functions (a `LocalCloud`)."""

    stack: Stack | None
    invocation_logs: InvocationLogs

    def invoke(
        self, logical_id: str, event: dict[str, Any], trace_header: str | None = None
    ) -> InvocationResult: ...


@dataclass(frozen=True)
class _Named:
    spec: FunctionSpec
    qualifier: str | None
    runner: RunsFunctions


class LambdaApi:
    """Answers the Lambda API for the functions of the stacks `runners()` run."""

    def __init__(self, runners: Callable[[], Sequence[RunsFunctions]]) -> None:
        self._runners = runners

    def __call__(self, request: ServiceRequest) -> ServiceResponse:
        try:
            for method, pattern, operation in _ROUTES:
                match = pattern.match(request.path)
                if match and request.method == method:
                    answer: ServiceResponse = getattr(self, operation)(request, **match.groupdict())
                    return answer
            raise LambdaError(
                400,
                "InvalidRequestContentException",
                f"{request.method} {request.path}: the local cloud's Lambda API answers "
                f"{_OPERATIONS} only",
            )
        except LambdaError as error:
            body = json.dumps({"Type": "User", "message": str(error)})
            return ServiceResponse(
                error.status,
                body.encode(),
                (
                    ("Content-Type", "application/json"),
                    ("x-amzn-ErrorType", error.code),
                    ("x-amzn-RequestId", str(uuid.uuid4())),
                ),
            )

    # ------------------------------------------------------------ operations

    def invoke(self, request: ServiceRequest, function: str) -> ServiceResponse:
        named = self._function(function, request.parameter("Qualifier"))
        spec, runner = named.spec, named.runner
        invocation_type = request.header("X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type not in ("RequestResponse", "Event", "DryRun"):
            raise LambdaError(
                400,
                "InvalidParameterValueException",
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                "[Event, RequestResponse, DryRun]",
            )
        if len(request.body) > MAX_SYNC_PAYLOAD_BYTES and invocation_type == "RequestResponse":
            raise LambdaError(
                413,
                "RequestTooLargeException",
                f"Request must be smaller than {MAX_SYNC_PAYLOAD_BYTES} bytes for the "
                "InvokeFunction operation",
            )
        event = _event(request.body)
        executed = (("X-Amz-Executed-Version", VERSION),)
        if invocation_type == "DryRun":
            return ServiceResponse(204, headers=_request_id(str(uuid.uuid4())))
        if invocation_type == "Event":
            threading.Thread(
                target=_invoke_later,
                args=(runner, spec.logical_id, event),
                name=f"event-invoke-{spec.logical_id}",
                daemon=True,
            ).start()
            return ServiceResponse(202, headers=_request_id(str(uuid.uuid4())))
        result = runner.invoke(spec.logical_id, event)
        headers = [*executed, ("Content-Type", "application/json"), *_request_id(result.request_id)]
        if not result.ok:
            headers.append(("X-Amz-Function-Error", "Unhandled"))
        if request.header("X-Amz-Log-Type") == "Tail":
            tail = runner.invocation_logs.tail(result.request_id)
            headers.append(("X-Amz-Log-Result", base64.b64encode(tail.encode()).decode()))
        return ServiceResponse(200, json.dumps(result.payload).encode(), tuple(headers))

    def list_functions(self, request: ServiceRequest) -> ServiceResponse:
        configurations = [
            self._configuration(spec)
            for stack, _ in self._running()
            for spec in stack.functions.values()
        ]
        configurations.sort(key=lambda configuration: str(configuration["FunctionName"]))
        start = int(request.parameter("Marker") or 0)
        size = int(request.parameter("MaxItems") or 50)
        page: dict[str, Any] = {"Functions": configurations[start : start + size]}
        if start + size < len(configurations):
            page["NextMarker"] = str(start + size)
        return _json(page)

    def get_function(self, request: ServiceRequest, function: str) -> ServiceResponse:
        spec = self._function(function, request.parameter("Qualifier")).spec
        return _json(
            {
                "Configuration": self._configuration(spec),
                "Code": {"RepositoryType": "S3", "Location": spec.code_dir.as_uri()},
                "Tags": {},
            }
        )

    def get_configuration(self, request: ServiceRequest, function: str) -> ServiceResponse:
        spec = self._function(function, request.parameter("Qualifier")).spec
        return _json(self._configuration(spec))

    def list_mappings(self, request: ServiceRequest) -> ServiceResponse:
        mappings = self._mappings()
        wanted = request.parameter("FunctionName")
        if wanted:
            arn = self._function(wanted, None).spec.arn
            mappings = [mapping for mapping in mappings if mapping["FunctionArn"] == arn]
        source = request.parameter("EventSourceArn")
        if source:
            mappings = [mapping for mapping in mappings if mapping["EventSourceArn"] == source]
        return _json({"EventSourceMappings": mappings})

    def get_mapping(self, request: ServiceRequest, uuid: str) -> ServiceResponse:
        for mapping in self._mappings():
            if mapping["UUID"] == uuid:
                return _json(mapping)
        raise LambdaError(
            404, "ResourceNotFoundException", f"The resource you requested does not exist. {uuid}"
        )

    # ------------------------------------------------------------ the stack's functions

    def _running(self) -> list[tuple[Stack, RunsFunctions]]:
        running = [(r.stack, r) for r in self._runners() if r.stack is not None]
        if not running:
            raise LambdaError(503, "ServiceException", "The local cloud is still starting")
        return running

    def _function(self, given: str, qualifier: str | None) -> _Named:
        running = self._running()
        stack = running[0][0]
        match = _FUNCTION_NAME.match(given)
        unknown = LambdaError(
            404,
            "ResourceNotFoundException",
            f"Function not found: {_arn(stack, given, qualifier)}",
        )
        if match is None:
            raise LambdaError(
                400,
                "ValidationException",
                f"1 validation error detected: Value '{given}' at 'functionName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?"
                r"(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?",
            )
        account = match.group("arn_account") or match.group("account")
        if account not in (None, stack.account_id) or match.group("region") not in (
            None,
            stack.region,
        ):
            raise unknown
        named_qualifier = match.group("qualifier")
        if named_qualifier and qualifier and named_qualifier != qualifier:
            raise LambdaError(
                400,
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the specified "
                "qualifier.",
            )
        qualifier = named_qualifier or qualifier
        for owner, runner in running:
            for spec in owner.functions.values():
                if spec.name == match.group("name") and qualifier in {
                    None,
                    *_qualifiers(owner, spec),
                }:
                    return _Named(spec, qualifier, runner)
        raise LambdaError(
            404,
            "ResourceNotFoundException",
            f"Function not found: {_arn(stack, match.group('name'), qualifier)}",
        )

    def _configuration(self, spec: FunctionSpec) -> dict[str, Any]:
        digest = hashlib.sha256(str(spec.code_dir).encode()).digest()
        return {
            "FunctionName": spec.name,
            "FunctionArn": spec.arn,
            "Runtime": spec.runtime,
            "Role": f"arn:aws:iam::{spec.arn.split(':')[4]}:role/{spec.name}-role",
            "Handler": spec.handler,
            "CodeSize": 0,
            "Description": "",
            "Timeout": int(spec.timeout_s),
            "MemorySize": spec.memory_mb,
            "LastModified": _STARTED,
            "CodeSha256": base64.b64encode(digest).decode(),
            "Version": VERSION,
            "Environment": {"Variables": dict(spec.environment)},
            "TracingConfig": {"Mode": "PassThrough"},
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": ["x86_64"],
            "EphemeralStorage": {"Size": 512},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": spec.log_group_name},
        }

    def _mappings(self) -> list[dict[str, Any]]:
        """Every event source mapping of the stacks, whatever its kind, as Lambda lists it."""
        listed = []
        parts = [
            (stack, part) for stack, _ in self._running() for part in stack.event_sources.values()
        ]
        for stack, part in parts:
            for mapping in part if isinstance(part, list) else []:
                spec = stack.functions.get(getattr(mapping, "function", ""))
                if spec is None:
                    continue
                source = _source_arn(mapping)
                listed.append(
                    {
                        "UUID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{spec.arn}|{source}")),
                        "BatchSize": getattr(mapping, "batch_size", 10),
                        "MaximumBatchingWindowInSeconds": int(
                            getattr(mapping, "batching_window_s", 0)
                        ),
                        "EventSourceArn": source,
                        "FunctionArn": spec.arn,
                        "LastModified": _STARTED_EPOCH,
                        "State": "Enabled" if getattr(mapping, "enabled", True) else "Disabled",
                        "StateTransitionReason": "USER_INITIATED",
                        "FunctionResponseTypes": ["ReportBatchItemFailures"]
                        if getattr(mapping, "report_batch_item_failures", False)
                        else [],
                    }
                )
        return sorted(listed, key=lambda mapping: (mapping["FunctionArn"], mapping["UUID"]))


_STARTED_EPOCH = datetime.now(UTC).timestamp()


def _source_arn(mapping: object) -> str:
    for attribute in ("queue_arn", "stream_arn", "event_source_arn"):
        value = getattr(mapping, attribute, "")
        if value:
            return str(value)
    return ""


def _invoke_later(runner: RunsFunctions, logical_id: str, event: Any) -> None:
    """An Event invocation, run after its 202 was sent; its outcome is in the function's
    log, as on AWS. One still queued when the local cloud stops is dropped."""
    try:
        runner.invoke(logical_id, event)
    except RuntimeError as stopped:  # the invoker closed, or the local cloud stopped
        logger.info("Event invocation of %s dropped: %s", logical_id, stopped)


def _qualifiers(stack: Stack, spec: FunctionSpec) -> set[str]:
    """`$LATEST`, and the versions and aliases the template publishes (which all run the
    function's one local code)."""
    kinds = stack.described.resource_types
    published = {
        reference.removeprefix(f"{spec.arn}:")
        for logical_id, reference in stack.physical_ids.items()
        if kinds.get(logical_id) in _PUBLISHED and reference.startswith(f"{spec.arn}:")
    }
    return {VERSION} | published


def _arn(stack: Stack, name: str, qualifier: str | None) -> str:
    match = _FUNCTION_NAME.match(name)
    bare = match.group("name") if match else name
    arn = f"arn:aws:lambda:{stack.region}:{stack.account_id}:function:{bare}"
    return f"{arn}:{qualifier}" if qualifier else arn


def _event(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except ValueError as error:
        raise LambdaError(
            400,
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {error}",
        ) from None


def _request_id(request_id: str) -> tuple[tuple[str, str], ...]:
    return (("x-amzn-RequestId", request_id),)


def _json(value: Any) -> ServiceResponse:
    return ServiceResponse(
        200,
        json.dumps(value).encode(),
        (("Content-Type", "application/json"), *_request_id(str(uuid.uuid4()))),
    )
