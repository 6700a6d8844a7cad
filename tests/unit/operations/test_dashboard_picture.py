"""The local dashboard's picture is drawn at most once per interval, in the background,
however many requests ask for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from petstore_cli.dashboard_picture import DashboardPicture

WAIT_S = 10.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Drawer:
    """Draws picture 1, 2, …; each drawing waits until the test lets it finish."""

    def __init__(self) -> None:
        self.drawings = 0
        self.may_finish = threading.Event()
        self._changed = threading.Condition()

    def __call__(self) -> bytes:
        with self._changed:
            self.drawings += 1
            self._changed.notify_all()
        assert self.may_finish.wait(WAIT_S)
        return f"picture {self.drawings}".encode()

    def wait_for_drawings(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.drawings >= count, WAIT_S)


def wait_until(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        threading.Event().wait(0.01)


def test_many_requests_in_one_interval_draw_the_picture_once() -> None:
    clock, drawer = Clock(), Drawer()
    picture = DashboardPicture(drawer, interval_s=60, clock=clock)
    drawer.may_finish.set()

    answers = [picture.latest() for _ in range(50)]
    clock.now = 59.9
    answers += [picture.latest() for _ in range(50)]

    assert drawer.drawings == 1
    assert set(answers) == {b"picture 1"}


def test_a_request_an_interval_later_gets_the_last_picture_at_once_and_a_new_one_is_drawn() -> None:
    clock, drawer = Clock(), Drawer()
    picture = DashboardPicture(drawer, interval_s=60, clock=clock)
    drawer.may_finish.set()
    assert picture.latest() == b"picture 1"
    drawer.may_finish.clear()

    clock.now = 60.0
    answers = [picture.latest() for _ in range(20)]  # none waits for the drawing under way
    drawer.wait_for_drawings(2)

    assert set(answers) == {b"picture 1"}
    assert drawer.drawings == 2, "one drawing at a time, however many requests"
    drawer.may_finish.set()
    wait_until(lambda: picture.latest() == b"picture 2")
    assert drawer.drawings == 2


def test_concurrent_first_requests_wait_for_a_single_drawing() -> None:
    clock, drawer = Clock(), Drawer()
    picture = DashboardPicture(drawer, interval_s=60, clock=clock)
    answers: list[bytes | None] = []
    requests = [threading.Thread(target=lambda: answers.append(picture.latest())) for _ in range(8)]
    for request in requests:
        request.start()
    drawer.wait_for_drawings(1)

    drawer.may_finish.set()
    for request in requests:
        request.join(WAIT_S)

    assert answers == [b"picture 1"] * 8
    assert drawer.drawings == 1


def test_a_failed_first_drawing_answers_nothing_and_the_next_interval_tries_again() -> None:
    clock = Clock()
    drawings: list[str] = []

    def draw() -> bytes:
        drawings.append("drawn")
        if len(drawings) == 1:
            raise RuntimeError("emulator gone")
        return b"picture"

    picture = DashboardPicture(draw, interval_s=60, clock=clock)

    assert picture.latest() is None
    clock.now = 60.0
    wait_until(lambda: picture.latest() == b"picture")
