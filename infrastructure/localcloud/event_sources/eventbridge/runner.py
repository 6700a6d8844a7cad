"""Fires one scheduled invocation at each of its times on the schedule clock, invoking its
function asynchronously as EventBridge does: a slow function never holds up the schedule.
A time skipped (the clock moved past several at once) fires once, not once per time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from localcloud.event_sources.base import Invoke, Poller, invoke_safely
from localcloud.event_sources.eventbridge.clock import ScheduleClock
from localcloud.event_sources.eventbridge.events import scheduled_event
from localcloud.event_sources.eventbridge.expressions import parse_schedule
from localcloud.event_sources.eventbridge.provisioning import ScheduledInvocation

logger = logging.getLogger(__name__)


class ScheduleRunner(Poller):
    def __init__(
        self,
        invocation: ScheduledInvocation,
        invoke: Invoke,
        clock: ScheduleClock,
        *,
        account_id: str,
        region: str,
    ) -> None:
        super().__init__(invocation, f"schedule-{invocation.function}")
        self.mapping: ScheduledInvocation = invocation
        self._invoke = invoke
        self._clock = clock
        self._account_id = account_id
        self._region = region

    def _loops(self) -> list[Callable[[], None]]:
        return [self._run]

    def _run(self) -> None:
        invocation = self.mapping
        schedule = parse_schedule(
            invocation.expression, start=self._clock.now(), zone=invocation.zone
        )
        upcoming = schedule.next_after(self._clock.now())
        while upcoming is not None and not self.stopping.is_set():
            now = self._clock.now()
            if now < upcoming:
                self._clock.wait_until(upcoming)
                continue
            if self._within_dates(upcoming):
                self._fire(upcoming)
            upcoming = schedule.next_after(now)

    def _within_dates(self, moment: datetime) -> bool:
        start, end = self.mapping.start, self.mapping.end
        return (start is None or moment >= start) and (end is None or moment <= end)

    def _fire(self, moment: datetime) -> None:
        event = scheduled_event(self.mapping, moment, self._account_id, self._region)
        threading.Thread(
            target=self._invoke_and_report, args=(event,), name=self.name, daemon=True
        ).start()

    def _invoke_and_report(self, event: object) -> None:
        result = invoke_safely(self._invoke, self.mapping.function, event)  # type: ignore[arg-type]
        if not result.ok:
            logger.warning(
                "%s: scheduled invocation by %s failed (%s: %s); not retried locally",
                self.mapping.function,
                self.mapping.schedule_arn,
                result.error_type,
                result.error_message,
            )
