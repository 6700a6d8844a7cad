"""What every resource provisioner gets and gives back."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING, Any, ClassVar

import boto3
from botocore.exceptions import ClientError, ParamValidationError

from localcloud.cloudformation.intrinsics import IntrinsicResolver, cfn_string
from localcloud.cloudformation.template import LoadedTemplate
from localcloud.model import Stack, TemplateError

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient


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


class AwsClients:
    """boto3 clients for the emulator, created on first use (creating one costs ~10-100 ms)."""

    _shared: ClassVar[dict[tuple[str, str], AwsClients]] = {}
    _sharing = Lock()

    def __init__(self, endpoint_url: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self._session = boto3.session.Session(region_name=region)
        self._clients: dict[str, Any] = {}
        self._creating = Lock()

    @classmethod
    def for_emulator(cls, endpoint_url: str, region: str) -> AwsClients:
        """The same clients for every provisioning of one emulator: the local cloud provisions
        again on every reset, and new clients would cost more than the calls they make."""
        with cls._sharing:
            key = (endpoint_url, region)
            if key not in cls._shared:
                cls._shared[key] = cls(endpoint_url, region)
            return cls._shared[key]

    def _client(self, service: str) -> Any:
        """Clients are thread-safe once made, but the session that makes them is not."""
        with self._creating:
            if service not in self._clients:
                self._clients[service] = self._session.client(  # type: ignore[call-overload]
                    service, endpoint_url=self.endpoint_url
                )
            return self._clients[service]

    def dynamodb(self) -> DynamoDBClient:
        return self._client("dynamodb")

    def sqs(self) -> SQSClient:
        return self._client("sqs")

    def sns(self) -> SNSClient:
        return self._client("sns")

    def cognito(self) -> CognitoIdentityProviderClient:
        return self._client("cognito-idp")

    def cloudwatch(self) -> CloudWatchClient:
        return self._client("cloudwatch")

    def logs(self) -> Any:
        return self._client("logs")


@dataclass
class ProvisionContext:
    stack: Stack
    resolver: IntrinsicResolver
    clients: AwsClients
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
