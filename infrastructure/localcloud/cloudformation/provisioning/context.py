"""What every resource provisioner gets and gives back."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, ParamValidationError

from localcloud.cloudformation.intrinsics import IntrinsicResolver, cfn_string
from localcloud.cloudformation.template import LoadedTemplate
from localcloud.emulator.clients import EmulatorClients
from localcloud.model import InvocationResult, Stack, TemplateError

RunFunction = Callable[[Stack, str, dict[str, Any]], InvocationResult]
"""Invoke the function (a logical id) of the stack with an event, during provisioning."""


@dataclass(frozen=True)
class Resource:
    """One resource of the template, its properties resolved (ignored ones removed)."""

    logical_id: str
    type: str
    properties: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.logical_id} ({self.type})"

    def error(self, reason: str) -> TemplateError:
        return TemplateError(f"{self.label}: {reason}")

    def physical_name(self, stack_name: str, name_property: str, suffix: str = "") -> str:
        """The name the template gives, else one derived from stack and logical id (stable, so
        provisioning again finds what it made before)."""
        given = self.properties.get(name_property)
        return cfn_string(given) if given else f"{stack_name}-{self.logical_id}{suffix}"

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.properties.get(name, default)
        if value is None:
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise self.error(f"property {name}: {value!r} is not an integer") from None

    def flag(self, name: str, default: bool = False) -> bool:
        return self.boolean(self.properties.get(name, default), name)

    def boolean(self, value: Any, path: str) -> bool:
        """A boolean property value; CloudFormation also accepts "true"/"false"."""
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.error(f"property {path}: {value!r} is not a boolean")


@dataclass(frozen=True)
class Provisioned:
    """What `!Ref` gives for a resource and its `!GetAtt` attributes."""

    ref: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProvisionContext:
    stack: Stack
    resolver: IntrinsicResolver
    clients: EmulatorClients
    template: LoadedTemplate
    queue_urls: dict[str, str] = field(default_factory=dict)
    """Queue ARN -> queue URL."""
    pool_logical_ids: dict[str, str] = field(default_factory=dict)
    """User pool id -> logical id."""
    pool_arns: dict[str, str] = field(default_factory=dict)
    pool_clients: dict[str, list[str]] = field(default_factory=dict)
    pool_groups: dict[str, list[str]] = field(default_factory=dict)
    stage_names: set[str] = field(default_factory=set)
    deployment_stage_names: set[str] = field(default_factory=set)
    layer_dirs: dict[str, Path] = field(default_factory=dict)
    """Layer version ARN -> local folder."""
    run_function: RunFunction | None = None
    """Invokes a function of the stack provisioned so far (a custom resource's)."""

    def ignore(self, subject: str, reason: str) -> None:
        """Record what has no local effect (lists are safe to append to from several threads)."""
        self.stack.ignored.append(f"{subject}: ignored locally — {reason}")

    @contextmanager
    def calling_emulator(self, resource: Resource) -> Iterator[None]:
        """Turn the emulator's refusals into TemplateErrors that name the resource."""
        try:
            yield
        except ParamValidationError as error:
            raise resource.error(f"invalid properties: {error}") from None
        except ClientError as error:
            raise resource.error(f"the emulator refused it: {error}") from None


Create = Callable[[Resource, ProvisionContext], Provisioned]


@dataclass(frozen=True)
class ResourceKind:
    """How one resource type is provisioned, and which of its properties it understands."""

    create: Create
    properties: frozenset[str]
    ignored_properties: Mapping[str, str] = field(default_factory=dict)
    """Property -> why it has no local effect."""
    accepts_any_property: bool = False
    """Its properties are its own to define (a custom resource's)."""
