"""`serve`, the loop behind `petstore up` and `localcloud up`: Ctrl-C stops the cloud, even
when its KeyboardInterrupt is raised where Python only prints it (inside a finalizer)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SERVED = textwrap.dedent(
    """
    import os, signal, sys, threading, weakref
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
        if sys.argv[1] == "after ready":
            threading.Thread(target=ctrl_c).start()

    serve(Cloud(), None, ready)
    """
)


@pytest.mark.parametrize("when", ["in a finalizer", "after ready"])
def test_ctrl_c_stops_the_cloud(when: str) -> None:
    served = subprocess.run(
        [sys.executable, "-c", SERVED, when], capture_output=True, text=True, timeout=30
    )
    assert served.returncode == 0, served.stderr
    printed = served.stdout.splitlines()
    assert (printed[0], printed[-1]) == ("ready", "stopped")
