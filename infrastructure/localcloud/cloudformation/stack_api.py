"""CloudFormation's view of the stacks the local cloud runs (query protocol, 2010-05-15):
DescribeStacks, DescribeStackResources, DescribeStackResource, ListStackResources and
ListExports answer with the stack's real physical ids, its parameters and its resolved
outputs, so tests that find their resources through `AWS_SAM_STACK_NAME` run unchanged.

An output naming the API's execute-api URL names the local API instead (which serves the
stage prefix such a URL carries). Any other action, and a stack the local cloud does not
run, is left to the emulator."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from localcloud.emulator.local_services import LEAVE_TO_EMULATOR, ServiceRequest, ServiceResponse
from localcloud.model import Stack

_NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
_EXECUTE_API_URL = re.compile(r"https://([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com")
_COMPLETE = "CREATE_COMPLETE"


@dataclass(frozen=True)
class RunningStack:
    stack: Stack
    api_url: str
    """Where the local API answers (its execute-api URLs are rewritten to it)."""
    created: datetime

    @property
    def stack_id(self) -> str:
        unique = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.stack.name}|{self.created.isoformat()}")
        return (
            f"arn:aws:cloudformation:{self.stack.region}:{self.stack.account_id}:"
            f"stack/{self.stack.name}/{unique}"
        )

    def named(self, name_or_id: str) -> bool:
        return name_or_id in (self.stack.name, self.stack_id)

    def outputs(self) -> dict[str, str]:
        return {name: self.local_value(value) for name, value in self.stack.outputs.items()}

    def local_value(self, value: str) -> str:
        """`value` with the execute-api URLs of this stack's APIs pointing at the local API."""
        apis = set(self.stack.physical_ids.values())
        return _EXECUTE_API_URL.sub(
            lambda url: self.api_url if url.group(1) in apis else url.group(0), value
        )


class StackError(Exception):
    def __init__(self, message: str, code: str = "ValidationError") -> None:
        super().__init__(message)
        self.code = code


class CloudFormationApi:
    """Answers CloudFormation's read calls for the stacks `stacks()` returns."""

    def __init__(self, stacks: Callable[[], list[RunningStack]]) -> None:
        self._stacks = stacks

    def __call__(self, request: ServiceRequest) -> ServiceResponse:
        parameters = {
            name: values[0]
            for name, values in {
                **request.query,
                **parse_qs(request.body.decode(errors="replace"), keep_blank_values=True),
            }.items()
        }
        action = parameters.get("Action", "")
        answer = {
            "DescribeStacks": self._describe_stacks,
            "DescribeStackResources": self._describe_stack_resources,
            "DescribeStackResource": self._describe_stack_resource,
            "ListStackResources": self._list_stack_resources,
            "ListExports": self._list_exports,
        }.get(action)
        if answer is None:
            return LEAVE_TO_EMULATOR
        try:
            result = answer(parameters)
        except StackError as error:
            return _error(error)
        if result is None:
            return LEAVE_TO_EMULATOR
        return _xml(action, result)

    # ------------------------------------------------------------ actions

    def _describe_stacks(self, parameters: dict[str, str]) -> str | None:
        wanted = parameters.get("StackName")
        stacks = [s for s in self._stacks() if wanted is None or s.named(wanted)]
        if wanted is not None and not stacks:
            return None
        return f"<Stacks>{''.join(_members(_stack(running) for running in stacks))}</Stacks>"

    def _describe_stack_resources(self, parameters: dict[str, str]) -> str | None:
        running = self._stack_named(parameters)
        if running is None:
            return None
        logical = parameters.get("LogicalResourceId")
        physical = parameters.get("PhysicalResourceId")
        resources = [
            _fields(
                StackName=running.stack.name,
                StackId=running.stack_id,
                LogicalResourceId=logical_id,
                PhysicalResourceId=physical_id,
                ResourceType=kind,
                Timestamp=_timestamp(running.created),
                ResourceStatus=_COMPLETE,
            )
            for logical_id, physical_id, kind in _resources(running)
            if logical in (None, logical_id) and physical in (None, physical_id)
        ]
        return f"<StackResources>{''.join(_members(resources))}</StackResources>"

    def _describe_stack_resource(self, parameters: dict[str, str]) -> str | None:
        running = self._stack_named(parameters)
        if running is None:
            return None
        logical = parameters.get("LogicalResourceId", "")
        for logical_id, physical_id, kind in _resources(running):
            if logical_id == logical:
                detail = _fields(
                    StackName=running.stack.name,
                    StackId=running.stack_id,
                    LogicalResourceId=logical_id,
                    PhysicalResourceId=physical_id,
                    ResourceType=kind,
                    LastUpdatedTimestamp=_timestamp(running.created),
                    ResourceStatus=_COMPLETE,
                )
                return f"<StackResourceDetail>{detail}</StackResourceDetail>"
        raise StackError(f"Resource {logical} does not exist for stack {running.stack.name}")

    def _list_stack_resources(self, parameters: dict[str, str]) -> str | None:
        running = self._stack_named(parameters)
        if running is None:
            return None
        summaries = [
            _fields(
                LogicalResourceId=logical_id,
                PhysicalResourceId=physical_id,
                ResourceType=kind,
                LastUpdatedTimestamp=_timestamp(running.created),
                ResourceStatus=_COMPLETE,
            )
            + "<DriftInformation><StackResourceDriftStatus>NOT_CHECKED"
            "</StackResourceDriftStatus></DriftInformation>"
            for logical_id, physical_id, kind in _resources(running)
        ]
        return f"<StackResourceSummaries>{''.join(_members(summaries))}</StackResourceSummaries>"

    def _list_exports(self, parameters: dict[str, str]) -> str:
        exports = [
            _fields(ExportingStackId=running.stack_id, Name=export, Value=running.outputs()[output])
            for running in self._stacks()
            for output, export in running.stack.described.export_names.items()
        ]
        return f"<Exports>{''.join(_members(exports))}</Exports>"

    def _stack_named(self, parameters: dict[str, str]) -> RunningStack | None:
        wanted = parameters.get("StackName")
        if wanted is None:
            raise StackError("StackName must be given")
        return next((s for s in self._stacks() if s.named(wanted)), None)


def _resources(running: RunningStack) -> list[tuple[str, str, str]]:
    types = running.stack.described.resource_types
    return [
        (logical_id, physical_id, types.get(logical_id, ""))
        for logical_id, physical_id in sorted(running.stack.physical_ids.items())
    ]


def _stack(running: RunningStack) -> str:
    described = running.stack.described
    parameters = _members(
        _fields(ParameterKey=name, ParameterValue=value)
        for name, value in sorted(described.parameters.items())
    )
    outputs = _members(
        _fields(
            OutputKey=name,
            OutputValue=value,
            Description=described.output_descriptions.get(name),
            ExportName=described.export_names.get(name),
        )
        for name, value in running.outputs().items()
    )
    return (
        _fields(
            StackId=running.stack_id,
            StackName=running.stack.name,
            Description=described.description or None,
            CreationTime=_timestamp(running.created),
            StackStatus=_COMPLETE,
            DisableRollback="false",
        )
        + f"<Parameters>{''.join(parameters)}</Parameters>"
        + f"<Outputs>{''.join(outputs)}</Outputs>"
        + "<Capabilities><member>CAPABILITY_IAM</member>"
        "<member>CAPABILITY_AUTO_EXPAND</member></Capabilities>"
        + "<Tags/><EnableTerminationProtection>false</EnableTerminationProtection>"
        + "<DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation>"
    )


def _fields(**values: str | None) -> str:
    return "".join(
        f"<{name}>{escape(value)}</{name}>" for name, value in values.items() if value is not None
    )


def _members(items: Iterable[str]) -> list[str]:
    return [f"<member>{item}</member>" for item in items]


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _request_id() -> str:
    return str(uuid.uuid4())


def _xml(action: str, result: str) -> ServiceResponse:
    request_id = _request_id()
    body = (
        f'<{action}Response xmlns="{_NAMESPACE}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    return ServiceResponse(
        200, body.encode(), (("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id))
    )


def _error(error: StackError) -> ServiceResponse:
    request_id = _request_id()
    body = (
        f'<ErrorResponse xmlns="{_NAMESPACE}"><Error><Type>Sender</Type>'
        f"<Code>{error.code}</Code><Message>{escape(str(error))}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return ServiceResponse(
        400, body.encode(), (("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id))
    )
