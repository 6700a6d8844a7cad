"""Helpers shared by the tests of the local cloud's runtime pieces (invoker, pollers)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from localcloud.emulator.process import Emulator
from localcloud.lambda_.invoker import Invoker
from localcloud.lambda_.logs import LogSink
from localcloud.model import FunctionSpec

RUNTIME_FUNCTIONS = Path(__file__).resolve().parents[1] / "integration/localcloud/runtime_functions"
REGION = "us-east-1"


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def runtime_invoker(
    emulator: Emulator, sink: LogSink, code_folder: str, handlers: dict[str, str]
) -> Iterator[Invoker]:
    """An Invoker for the handlers of one folder under runtime_functions/, talking to
    the emulator; closed when the test ends."""
    functions = {
        logical_id: FunctionSpec(
            logical_id=logical_id,
            name=logical_id,
            code_dir=RUNTIME_FUNCTIONS / code_folder,
            handler=handler,
            layer_dirs=(),
            environment={},
            timeout_s=5,
            memory_mb=128,
            runtime="python3.13",
            arn=f"arn:aws:lambda:{REGION}:123456789012:function:{logical_id}",
        )
        for logical_id, handler in handlers.items()
    }
    started = Invoker(
        functions, base_env={"AWS_ENDPOINT_URL": emulator.endpoint_url}, log_sink=sink
    )
    yield started
    started.close()
