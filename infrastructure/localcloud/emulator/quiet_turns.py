"""Work the emulator does on its own from time to time (saving its state, deleting expired
items), between two DynamoDB requests, never inside one."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable


class QuietTurns:
    """Runs `work` every `every_s` seconds in a thread of its own, until stopped, each time
    holding `quiet` (the lock that keeps DynamoDB requests whole). A turn that fails is
    reported, and the next one tries again."""

    def __init__(
        self, name: str, every_s: float, quiet: threading.Lock, work: Callable[[], object]
    ) -> None:
        self._name = name
        self._every_s = every_s
        self._quiet = quiet
        self._work = work
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self._every_s):
            try:
                with self._quiet:
                    self._work()
            except Exception as error:
                print(f"The emulator's {self._name} failed: {error}", file=sys.stderr)
