"""The clock schedules fire by: the wall clock, which a test may move ahead so a schedule's
time comes without waiting for it (as the monitoring's `clock_ahead_s` does for alarms)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

LONGEST_WAIT_S = 0.5
"""A waiting schedule looks at the clock at least this often (and so notices `stop`)."""


class ScheduleClock:
    def __init__(self) -> None:
        self._ahead_s = 0.0
        self._moved = threading.Condition()

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._ahead_s)

    def advance(self, seconds: float) -> None:
        """Move the clock ahead; schedules whose time has come fire at once."""
        with self._moved:
            self._ahead_s += seconds
            self._moved.notify_all()

    def wait_until(self, moment: datetime) -> None:
        """Return at `moment`, when the clock is moved, or after LONGEST_WAIT_S."""
        remaining_s = (moment - self.now()).total_seconds()
        if remaining_s <= 0:
            return
        with self._moved:
            self._moved.wait(min(remaining_s, LONGEST_WAIT_S))
