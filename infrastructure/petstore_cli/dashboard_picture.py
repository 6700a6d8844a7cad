"""The local dashboard's picture, drawn at most once per interval and off the request path.

Drawing it reads every widget's metrics from the emulator and plots them (seconds of CPU
in both processes); the page reloads it every 30 seconds, and a datapoint covers a minute.
A request for the picture starts a new drawing in the background if the last one began
an interval ago or more, and is answered with the last picture drawn; only the very first
request, with nothing drawn yet, waits for a drawing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

INTERVAL_S = 60.0
FIRST_WAIT_S = 120.0
"""How long the first request waits for the first picture."""


class DashboardPicture:
    def __init__(
        self,
        draw: Callable[[], bytes],
        *,
        interval_s: float = INTERVAL_S,
        first_wait_s: float = FIRST_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._draw = draw
        self._interval_s = interval_s
        self._first_wait_s = first_wait_s
        self._clock = clock
        self._lock = threading.Lock()
        self._picture: bytes | None = None
        self._drawn_once = threading.Event()
        self._started_at: float | None = None
        self._drawing = False

    def latest(self) -> bytes | None:
        """The last picture drawn (waiting for the first one if there is none yet), or
        None if the first drawing failed or took too long."""
        self.refresh()
        self._drawn_once.wait(self._first_wait_s)
        with self._lock:
            return self._picture

    def refresh(self) -> None:
        """Starts drawing in the background, unless a drawing is running or the last one
        began less than an interval ago."""
        with self._lock:
            now = self._clock()
            recent = self._started_at is not None and now - self._started_at < self._interval_s
            if self._drawing or recent:
                return
            self._drawing = True
            self._started_at = now
        threading.Thread(
            target=self._draw_in_background, name="dashboard-picture", daemon=True
        ).start()

    def _draw_in_background(self) -> None:
        picture = None
        try:
            picture = self._draw()
        except Exception:
            logger.exception("the dashboard's picture could not be drawn")
        with self._lock:
            if picture is not None:
                self._picture = picture
            self._drawing = False
        self._drawn_once.set()
