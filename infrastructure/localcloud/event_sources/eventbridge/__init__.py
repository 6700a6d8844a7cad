"""Amazon EventBridge: rules with a schedule expression and EventBridge Scheduler
schedules invoking their functions at their times, on a clock tests can move ahead, and
rules with an event pattern invoking theirs with the events put on their bus that match."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from localcloud.event_sources.base import (
    EventSourceKind,
    Poller,
    PollerContext,
    SourceSettings,
)
from localcloud.event_sources.delivery_queue import Delivery, DeliveryPoller
from localcloud.event_sources.eventbridge.clock import ScheduleClock
from localcloud.event_sources.eventbridge.provisioning import (
    RESOURCE_KINDS,
    SOURCE,
    RoutedTarget,
    claims,
    refuse_mapping,
    routed_targets,
    scheduled_invocations,
)
from localcloud.event_sources.eventbridge.runner import ScheduleRunner
from localcloud.model import Stack


class EventBridgeRuntime:
    """The rules and schedules of a running local cloud; schedules fire on `clock`
    (`clock.advance` moves it)."""

    def __init__(self, settings: SourceSettings) -> None:
        self.clock = ScheduleClock()

    def launch_early(self, resources: Mapping[str, Any]) -> None:
        return None

    def start_for(self, stack: Stack) -> None:
        return None

    def prepare(self, stack: Stack) -> None:
        return None

    def environment(self) -> dict[str, str]:
        return {}

    def pollers(self, stack: Stack, context: PollerContext, function: str | None) -> list[Poller]:
        return self._schedule_runners(stack, context, function) + [
            _delivery_poller(target, context, stack.account_id)
            for target in routed_targets(stack)
            if target.enabled and function in (None, target.function)
        ]

    def _schedule_runners(
        self, stack: Stack, context: PollerContext, function: str | None
    ) -> list[Poller]:
        return [
            ScheduleRunner(
                invocation,
                context.invoke,
                self.clock,
                account_id=stack.account_id,
                region=context.region,
            )
            for invocation in scheduled_invocations(stack)
            if invocation.enabled and function in (None, invocation.function)
        ]

    def endpoints(self) -> dict[str, str]:
        return {}

    def stop(self) -> None:
        return None


def _delivery_poller(
    target: RoutedTarget, context: PollerContext, account_id: str
) -> DeliveryPoller:
    def event_of(body: str) -> Any:
        if target.input is not None:
            return json.loads(target.input)
        event = json.loads(body)
        # The emulator's EventBridge leaves the account out of what it delivers to a queue.
        event.setdefault("account", account_id)
        return event

    return DeliveryPoller(
        Delivery(target.function, target.rule_arn, target.queue_url),
        event_of,
        context.invoke,
        endpoint_url=context.endpoint_url,
        region=context.region,
    )


KIND = EventSourceKind(
    name=SOURCE,
    claims=claims,
    add_mapping=refuse_mapping,
    mapping_properties=frozenset(),
    runtime=EventBridgeRuntime,
    resource_kinds=RESOURCE_KINDS,
)
