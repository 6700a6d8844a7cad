"""Bounded waiting on a condition: tests never sleep for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until[T](
    probe: Callable[[], T], *, timeout_s: float = 15.0, interval_s: float = 0.05, what: str = ""
) -> T:
    """Call `probe` until it returns something truthy; return that, or fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        outcome = probe()
        if outcome:
            return outcome
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what or probe}")
        time.sleep(interval_s)
