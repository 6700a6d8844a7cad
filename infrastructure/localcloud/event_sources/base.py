"""What every event source mapping's poller shares: how it invokes the function, how it
runs in background threads until stopped, and how it rides out an emulator or broker
that does not answer."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.model import InvocationResult

if TYPE_CHECKING:
    from datetime import datetime

    from localcloud.cloudformation.provisioning.context import (
        ProvisionContext,
        Resource,
        ResourceKind,
    )
    from localcloud.cloudwatch.metrics import MetricPoint
    from localcloud.model import Stack

Invoke = Callable[[str, dict[str, Any]], InvocationResult]
logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 2.0
MAX_BACKOFF_S = 2.0
"""Between attempts to reach an emulator or broker that failed."""


class Mapping(Protocol):
    """What the local cloud needs of any event source mapping."""

    @property
    def function(self) -> str:
        """Logical id of the function the mapping invokes."""
        ...

    @property
    def enabled(self) -> bool: ...


@dataclass(frozen=True)
class PollerContext:
    """Where a poller reads from and whom it invokes."""

    invoke: Invoke
    endpoint_url: str
    """The AWS emulator's."""
    region: str


@dataclass(frozen=True)
class SourceSettings:
    """What the local cloud lets an event source start: servers listen on `host`, on the
    port named for them in `ports` (e.g. "kafka")."""

    host: str
    ports: dict[str, int]


def invoke_safely(invoke: Invoke, function: str, event: dict[str, Any]) -> InvocationResult:
    """The invocation's result; a failed one when the invoker itself raised."""
    try:
        return invoke(function, event)
    except Exception as error:
        logger.exception("Invoking %s failed before the handler ran", function)
        return InvocationResult(ok=False, error_type=type(error).__name__, error_message=str(error))


def base64_text(data: bytes | str) -> str:
    """Binary data as events carry it."""
    raw = data.encode() if isinstance(data, str) else data
    return base64.b64encode(raw).decode()


class Outage:
    """Logs the first failure of a run of failures and the recovery, and paces retries."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._failures = 0

    def failed(self, error: Exception) -> float:
        """Seconds to wait before trying again."""
        if self._failures == 0:
            expected = isinstance(error, (ClientError, BotoCoreError, ConnectionError))
            logger.warning(
                "%s: %s: %s; retrying until it works",
                self._what,
                type(error).__name__,
                error,
                exc_info=None if expected else error,
            )
        self._failures += 1
        return min(MAX_BACKOFF_S, 0.1 * 2 ** (self._failures - 1))

    def recovered(self) -> None:
        if self._failures:
            logger.warning("%s: working again after %d failures", self._what, self._failures)
            self._failures = 0


class Poller:
    """One event source mapping, run by background threads until `stop()`: one per
    `_loops()` entry, each repeating its step while the poller runs.

    Each start is a generation of threads with its own stop signal, which a thread reads
    as `self.stopping`: `stop()` signals the running generation and waits for it only
    briefly, so a thread still inside a long poll finishes it (and lets go of whatever it
    received) on its own, while a new `start()` already runs the next generation."""

    def __init__(self, mapping: Any, name: str) -> None:
        self.mapping = mapping
        self.name = name
        self._generation = threading.Event()
        self._generation.set()
        self._own_generation = threading.local()
        self._threads: list[threading.Thread] = []
        self._idle: set[threading.Thread] = set()

    @property
    def stopping(self) -> threading.Event:
        """Set once the generation the calling thread belongs to is stopped (for any other
        thread: the running generation)."""
        mine: threading.Event | None = getattr(self._own_generation, "event", None)
        return mine if mine is not None else self._generation

    @property
    def running(self) -> bool:
        return not self._generation.is_set() and any(thread.is_alive() for thread in self._threads)

    def start(self) -> None:
        if self.running:
            return
        generation = threading.Event()
        self._generation = generation
        self._threads = [
            threading.Thread(
                target=self._run_in, args=(generation, loop), name=f"{self.name}-{number}",
                daemon=True,
            )
            for number, loop in enumerate(self._loops())
        ]  # fmt: skip
        for thread in self._threads:
            thread.start()

    def _run_in(self, generation: threading.Event, loop: Callable[[], None]) -> None:
        self._own_generation.event = generation
        loop()

    def stop(self) -> None:
        """Returns within about STOP_TIMEOUT_S; an invocation in flight finishes in the
        background and its batch is settled (or read again by the next start)."""
        self._generation.set()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for thread in self._threads:
            if thread in self._idle:
                continue  # holds nothing, and reads nothing after its wait
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []

    @contextmanager
    def idle(self) -> Iterator[None]:
        """Around a thread's wait for something to read: `stop()` does not wait for a
        thread in it, which must check `stopping` before it reads anything afterwards."""
        thread = threading.current_thread()
        self._idle.add(thread)
        try:
            yield
        finally:
            self._idle.discard(thread)

    def _loops(self) -> list[Callable[[], None]]:
        """What each of the poller's threads runs until `stopping` is set."""
        raise NotImplementedError


class SourceRuntime(Protocol):
    """An event source's part of a running local cloud."""

    def launch_early(self, resources: dict[str, Any]) -> None:
        """Start booting what the template's `resources` will need (a broker that takes
        seconds), beside the emulator's boot and the provisioning; `start_for` then waits
        for it."""
        ...

    def start_for(self, stack: Stack) -> None:
        """Start what the stack's functions reach (e.g. a broker), if it has any: a custom
        resource's function runs while the stack is still being provisioned."""
        ...

    def prepare(self, stack: Stack) -> None:
        """Make what the stack's mappings read from, before any function runs (on every
        provisioning: the first, and every reset)."""
        ...

    def environment(self) -> dict[str, str]:
        """Variables the functions need to reach the source (e.g. a broker's address)."""
        ...

    def pollers(self, stack: Stack, context: PollerContext, function: str | None) -> list[Poller]:
        """A poller for every enabled mapping of the stack, or for those that feed `function`."""
        ...

    def endpoints(self) -> dict[str, str]:
        """Servers the source runs, by what they are, for the console."""
        ...

    def stop(self) -> None: ...


class PollersOnly:
    """The runtime of a source that needs nothing but its pollers (the emulator holds
    what they read)."""

    def __init__(
        self,
        mappings_of: Callable[[Stack], list[Any]],
        poller: Callable[[Any, PollerContext], Poller],
    ) -> None:
        self._mappings_of = mappings_of
        self._poller = poller

    def launch_early(self, resources: dict[str, Any]) -> None:
        return None

    def start_for(self, stack: Stack) -> None:
        return None

    def prepare(self, stack: Stack) -> None:
        return None

    def environment(self) -> dict[str, str]:
        return {}

    def pollers(self, stack: Stack, context: PollerContext, function: str | None) -> list[Poller]:
        return [
            self._poller(mapping, context)
            for mapping in self._mappings_of(stack)
            if mapping.enabled and function in (None, mapping.function)
        ]

    def endpoints(self) -> dict[str, str]:
        return {}

    def stop(self) -> None:
        return None


@dataclass(frozen=True)
class NewMapping:
    """An AWS::Lambda::EventSourceMapping being provisioned."""

    function: str
    """Logical id of the function it invokes."""
    source_arn: str
    """Its EventSourceArn (empty for self-managed sources)."""
    mapping_id: str
    """What `!Ref` gives for it (Lambda's UUID)."""


class MetricsSampler(Protocol):
    def sample(self, at: datetime) -> list[MetricPoint]:
        """The source's CloudWatch metrics as AWS publishes them, at `at`."""
        ...


@dataclass(frozen=True)
class EventSourceKind:
    """One kind of event source, everything the local cloud needs of it: the registry
    (`localcloud.event_sources.registry`) lists one of these per kind."""

    name: str
    claims: Callable[[str, dict[str, Any]], bool]
    """Whether an event source mapping (its EventSourceArn and properties) is of this kind."""
    add_mapping: Callable[[Resource, ProvisionContext, NewMapping], None]
    """Describes the mapping in the stack's part of this kind (see `Stack.part_of`)."""
    mapping_properties: frozenset[str]
    """The mapping properties this kind reads; another kind's are refused by name."""
    runtime: Callable[[SourceSettings], SourceRuntime]
    resource_kinds: dict[str, ResourceKind] = field(default_factory=dict)
    """CloudFormation resource types this kind provisions (e.g. a Kafka cluster and topics)."""
    metrics: Callable[[Stack], MetricsSampler | None] = lambda stack: None
    """Metrics the source publishes itself (e.g. MSK's consumer lag), for a stack."""
