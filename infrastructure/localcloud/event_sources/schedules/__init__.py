"""Schedules: EventBridge rules with a schedule expression and EventBridge Scheduler
schedules, invoking their functions at their times on a clock tests can move ahead."""

from __future__ import annotations

from localcloud.event_sources.base import (
    EventSourceKind,
    Poller,
    PollerContext,
    SourceSettings,
)
from localcloud.event_sources.schedules.clock import ScheduleClock
from localcloud.event_sources.schedules.provisioning import (
    RESOURCE_KINDS,
    SOURCE,
    claims,
    refuse_mapping,
    scheduled_invocations,
)
from localcloud.event_sources.schedules.runner import ScheduleRunner
from localcloud.model import Stack


class SchedulesRuntime:
    """The schedules of a running local cloud, on their clock (`clock.advance` moves it)."""

    def __init__(self, settings: SourceSettings) -> None:
        self.clock = ScheduleClock()

    def start_for(self, stack: Stack) -> None:
        return None

    def prepare(self, stack: Stack) -> None:
        return None

    def environment(self) -> dict[str, str]:
        return {}

    def pollers(self, stack: Stack, context: PollerContext, function: str | None) -> list[Poller]:
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


KIND = EventSourceKind(
    name=SOURCE,
    claims=claims,
    add_mapping=refuse_mapping,
    mapping_properties=frozenset(),
    runtime=SchedulesRuntime,
    resource_kinds=RESOURCE_KINDS,
)
