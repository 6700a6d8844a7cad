"""`--debug FUNCTION`: the function's worker listens for a debugger on the port given, as
`sam local invoke --debug-port` does, and waits for one before it runs the handler; a
Debug Adapter Protocol client connects and is answered, then the invocation goes on."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from localcloud.emulator.process import free_port
from localcloud.lambda_.debugging import FunctionDebug
from localcloud.lambda_.invoker import Invoker
from localcloud.lambda_.logs import LogSink
from localcloud.model import FunctionSpec, InvocationResult, TemplateError
from support.dap_client import connect, next_of, send
from support.runtime_invoker import REGION, RUNTIME_FUNCTIONS

pytestmark = pytest.mark.integration

ANSWER_WITHIN_S = 30.0


def spec(logical_id: str) -> FunctionSpec:
    return FunctionSpec(
        logical_id=logical_id,
        name=logical_id,
        code_dir=RUNTIME_FUNCTIONS / "probe",
        handler="app.echo",
        layer_dirs=(),
        environment={},
        timeout_s=5,
        memory_mb=128,
        runtime="python3.13",
        arn=f"arn:aws:lambda:{REGION}:123456789012:function:{logical_id}",
    )


@pytest.fixture
def debugged() -> Iterator[tuple[Invoker, FunctionDebug, LogSink]]:
    debug = FunctionDebug("Echo", port=free_port())
    sink = LogSink(quiet=True)
    invoker = Invoker(
        {"Echo": spec("Echo"), "Other": spec("Other")}, base_env={}, log_sink=sink, debug=debug
    )
    yield invoker, debug, sink
    invoker.close()


def test_the_debugged_functions_worker_answers_a_dap_client_on_the_port_then_runs(
    debugged: tuple[Invoker, FunctionDebug, LogSink],
) -> None:
    invoker, debug, sink = debugged
    results: list[InvocationResult] = []
    invocation = threading.Thread(target=lambda: results.append(invoker.invoke("Echo", {"n": 1})))
    invocation.start()

    with connect(debug.port) as client:
        buffer = bytearray()
        initialize = {"adapterID": "test", "clientID": "test"}
        send(
            client, {"seq": 1, "type": "request", "command": "initialize", "arguments": initialize}
        )
        answer = next_of(client, buffer, "response")
        assert (answer["command"], answer["success"]) == ("initialize", True)
        assert answer["body"]["supportsConfigurationDoneRequest"] is True
        send(
            client,
            {"seq": 2, "type": "request", "command": "attach", "arguments": {"justMyCode": True}},
        )
        next_of(client, buffer, "event", "initialized")
        send(client, {"seq": 3, "type": "request", "command": "configurationDone"})
        invocation.join(ANSWER_WITHIN_S)

    assert [result.payload["event"] for result in results] == [{"n": 1}]  # type: ignore[index]
    assert any(debug.address in line for line in sink.lines("Echo"))


def test_the_other_functions_run_without_a_debugger(
    debugged: tuple[Invoker, FunctionDebug, LogSink],
) -> None:
    invoker, _, _ = debugged

    result = invoker.invoke("Other", {"n": 2})

    assert result.ok


def test_debugging_a_function_the_stack_does_not_have_names_its_functions() -> None:
    with pytest.raises(TemplateError, match="--debug Nope: no such function"):
        Invoker(
            {"Echo": spec("Echo")},
            base_env={},
            log_sink=LogSink(quiet=True),
            debug=FunctionDebug("Nope"),
        )
