"""`serve`, the loop behind `petstore up` and `localcloud up`: Ctrl-C stops the cloud, even
when its KeyboardInterrupt is raised where Python only prints it (inside a finalizer), when
a second Ctrl-C's handler runs inside the first one's (taking a lock that one held, it
hung for ever), and when another thread receives the signal while the main thread waits
(which then ran no handler, and waited for ever)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from localcloud.console import StopRequest

SERVED = textwrap.dedent(
    """
    import os, signal, sys, threading, time, weakref

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

    def main_thread_waiting():
        main = threading.main_thread()
        with open(f"/proc/self/task/{main.native_id}/stat") as stat:
            sleeping = stat.read().rsplit(")", 1)[1].split()[0] == "S"
        return sleeping and sys._current_frames()[main.ident].f_code.co_name == "wait"

    def ctrl_c_received_by_this_thread_once_main_waits():
        deadline = time.monotonic() + 10
        while not main_thread_waiting():
            assert time.monotonic() < deadline, "the main thread never waited"
            time.sleep(0.01)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)

    def ready(cloud):
        if sys.argv[1] == "in a finalizer":
            # As a collected connection pool's finalizer runs: Python prints the
            # KeyboardInterrupt raised in it and goes on.
            pool = Pool()
            weakref.finalize(pool, ctrl_c)
            del pool
        print("ready", flush=True)
        if sys.argv[1] == "received by another thread":
            threading.Thread(target=ctrl_c_received_by_this_thread_once_main_waits).start()
        elif sys.argv[1] != "in a finalizer":
            threading.Thread(target=ctrl_c).start()

    serve(Cloud(), None, ready)
    """
)


@pytest.mark.parametrize(
    "when",
    [
        "in a finalizer",
        "after ready",
        "again, inside the first one's handling",
        "received by another thread",
    ],
)
def test_ctrl_c_stops_the_cloud(when: str) -> None:
    served = subprocess.run(
        [sys.executable, "-c", SERVED, when], capture_output=True, text=True, timeout=20
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
