"""`serve`, the loop behind `petstore up` and `localcloud up`: Ctrl-C stops the cloud, even
when its KeyboardInterrupt is raised where Python only prints it (inside a finalizer), and
when a second Ctrl-C's handler runs inside the first one's (taking a lock that one held, it
hung for ever)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from localcloud.console import StopRequest

SERVED = textwrap.dedent(
    """
    import os, signal, sys, threading, weakref

    class SecondCtrlCMidWay(threading.Event):
        # As a lock-taking stop would be set by the first Ctrl-C's handler: a second Ctrl-C
        # lands while that handler holds the event's lock, and its handler runs right there.
        sets = 0

        def set(self):
            SecondCtrlCMidWay.sets += 1
            if sys.argv[1] == "again, inside the first one's handling" and self.sets == 2:
                with self._cond:
                    os.kill(os.getpid(), signal.SIGINT)
                    sum(range(1000))
            super().set()

    threading.Event = SecondCtrlCMidWay
    from localcloud.console import serve

    class Cloud:
        def start(self, emulator):
            pass

        def stop(self):
            print("stopped", flush=True)

    class Pool:
        pass

    def ctrl_c():
        os.kill(os.getpid(), signal.SIGINT)

    def ready(cloud):
        if sys.argv[1] == "in a finalizer":
            # As a collected connection pool's finalizer runs: Python prints the
            # KeyboardInterrupt raised in it and goes on.
            pool = Pool()
            weakref.finalize(pool, ctrl_c)
            del pool
        print("ready", flush=True)
        if sys.argv[1] != "in a finalizer":
            threading.Thread(target=ctrl_c).start()

    serve(Cloud(), None, ready)
    """
)


@pytest.mark.parametrize(
    "when", ["in a finalizer", "after ready", "again, inside the first one's handling"]
)
def test_ctrl_c_stops_the_cloud(when: str) -> None:
    served = subprocess.run(
        [sys.executable, "-c", SERVED, when], capture_output=True, text=True, timeout=30
    )
    assert served.returncode == 0, served.stderr
    printed = served.stdout.splitlines()
    assert (printed[0], printed[-1]) == ("ready", "stopped")


def test_a_stop_asked_for_more_often_than_its_pipe_holds_still_ends_the_wait() -> None:
    stop = StopRequest()
    try:
        for _ in range(100_000):  # the pipe holds 64 KiB: the requests after that write nothing
            stop.request()
        stop.wait()
    finally:
        stop.close()

    assert stop.requested
    stop.request()  # a signal after the close is ignored
