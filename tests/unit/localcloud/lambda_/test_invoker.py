"""The Lambda runtime: one worker process per function, driven through Invoker."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from localcloud.lambda_.invoker import Invoker, InvokerClosedError
from localcloud.lambda_.logs import LogSink
from localcloud.model import FunctionSpec, TemplateError

FUNCTIONS = Path(__file__).parents[3] / "integration" / "localcloud" / "runtime_functions"
LAYER = FUNCTIONS / "shared_layer"
ACCOUNT_ARN = "arn:aws:lambda:eu-west-1:123456789012:function"
BASE_ENV = {"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_SAM_LOCAL": "true"}

MakeInvoker = Callable[..., Invoker]


def function(
    logical_id: str,
    folder: str,
    handler: str,
    *,
    timeout_s: float = 5.0,
    environment: dict[str, str] | None = None,
    layers: tuple[Path, ...] = (),
) -> FunctionSpec:
    name = f"stack-{logical_id}"
    return FunctionSpec(
        logical_id=logical_id,
        name=name,
        code_dir=FUNCTIONS / folder,
        handler=handler,
        layer_dirs=layers,
        environment=environment or {},
        timeout_s=timeout_s,
        memory_mb=256,
        runtime="python3.13",
        arn=f"{ACCOUNT_ARN}:{name}",
    )


@pytest.fixture
def sink() -> LogSink:
    return LogSink(quiet=True)


@pytest.fixture
def make_invoker(sink: LogSink) -> Iterator[MakeInvoker]:
    started: list[Invoker] = []

    def make(*specs: FunctionSpec, max_concurrency: int = 8) -> Invoker:
        invoker = Invoker(
            {spec.logical_id: spec for spec in specs},
            base_env=BASE_ENV,
            log_sink=sink,
            max_concurrency_per_function=max_concurrency,
        )
        started.append(invoker)
        return invoker

    yield make
    for invoker in started:
        invoker.close()


def wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_handler_receives_the_event_and_its_result_comes_back(make_invoker: MakeInvoker) -> None:
    invoker = make_invoker(function("Echo", "probe", "app.echo"))

    result = invoker.invoke("Echo", {"pet": "Rex", "tags": [1, 2]})

    assert result.ok
    assert isinstance(result.payload, dict)
    assert result.payload["event"] == {"pet": "Rex", "tags": [1, 2]}
    assert result.duration_ms > 0


def test_first_invocation_is_a_cold_start_and_the_next_reuses_the_warm_worker(
    make_invoker: MakeInvoker, sink: LogSink
) -> None:
    invoker = make_invoker(function("Echo", "probe", "app.echo"))

    first = invoker.invoke("Echo", {})
    second = invoker.invoke("Echo", {})

    assert first.cold_start and not second.cold_start
    assert isinstance(first.payload, dict) and isinstance(second.payload, dict)
    assert first.payload["pid"] == second.payload["pid"] != os.getpid()
    assert any(line.startswith("cold start: ") for line in sink.lines("stack-Echo"))


def test_context_carries_lambda_fields_and_a_fresh_request_id(make_invoker: MakeInvoker) -> None:
    invoker = make_invoker(function("Describe", "probe", "app.describe", timeout_s=4))

    first = invoker.invoke("Describe", {})
    second = invoker.invoke("Describe", {})

    assert isinstance(first.payload, dict) and isinstance(second.payload, dict)
    context = first.payload["context"]
    assert context["aws_request_id"] == first.request_id
    assert second.payload["context"]["aws_request_id"] == second.request_id != first.request_id
    assert context["function_name"] == "stack-Describe"
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"] == f"{ACCOUNT_ARN}:stack-Describe"
    assert context["memory_limit_in_mb"] == "256"
    assert context["log_group_name"] == "/aws/lambda/stack-Describe"
    assert "[$LATEST]" in context["log_stream_name"]
    assert 3000 < context["remaining_ms"] <= 4000
    assert context["identity"] == {"cognito_identity_id": None, "cognito_identity_pool_id": None}
    assert context["client_context"] is None
    assert context["tenant_id"] is None


def test_worker_environment_is_built_from_scratch_with_lambda_variables(
    make_invoker: MakeInvoker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCAL_CLOUD_PRIVATE", "must not leak")
    spec = function("Describe", "probe", "app.describe", environment={"TABLE_NAME": "pets"})
    invoker = make_invoker(spec)

    result = invoker.invoke("Describe", {})

    assert isinstance(result.payload, dict)
    environment = result.payload["environment"]
    assert "LOCAL_CLOUD_PRIVATE" not in environment
    assert environment["TABLE_NAME"] == "pets"
    assert environment["AWS_ENDPOINT_URL"] == BASE_ENV["AWS_ENDPOINT_URL"]
    assert environment["AWS_SAM_LOCAL"] == "true"
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == "stack-Describe"
    assert environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert environment["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert environment["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/stack-Describe"
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert environment["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.13"
    assert environment["LAMBDA_TASK_ROOT"] == str(FUNCTIONS / "probe")
    assert environment["_HANDLER"] == "app.describe"
    assert environment["TZ"] == ":UTC"
    assert result.payload["cwd"] == str(FUNCTIONS / "probe")


def test_two_functions_see_only_their_own_environment_under_concurrent_load(
    make_invoker: MakeInvoker,
) -> None:
    invoker = make_invoker(
        function("Orders", "probe", "app.describe", environment={"SERVICE": "orders"}),
        function("Payments", "probe", "app.describe", environment={"SERVICE": "payments"}),
    )
    calls = ["Orders", "Payments"] * 10

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda logical_id: invoker.invoke(logical_id, {}), calls))

    seen = [
        (r.payload["environment"]["SERVICE"], r.payload["context"]["function_name"])
        for r in results
        if isinstance(r.payload, dict)
    ]
    assert seen == [("orders", "stack-Orders"), ("payments", "stack-Payments")] * 10


def test_same_named_modules_of_two_functions_do_not_collide(make_invoker: MakeInvoker) -> None:
    invoker = make_invoker(
        function("ServiceA", "collide_a", "app.handler"),
        function("ServiceB", "collide_b", "app.handler"),
    )

    a = invoker.invoke("ServiceA", {})
    b = invoker.invoke("ServiceB", {})

    assert isinstance(a.payload, dict) and isinstance(b.payload, dict)
    assert (a.payload["service"], b.payload["service"]) == ("a", "b")
    assert a.payload["pid"] != b.payload["pid"]


def test_sys_path_is_lambdas_code_then_layers_then_runtime_then_standard_library(
    make_invoker: MakeInvoker,
) -> None:
    invoker = make_invoker(
        function("Describe", "probe", "app.describe", layers=(LAYER,)),
        function("Greeter", "layer_user", "app.handler", layers=(LAYER,)),
    )

    described = invoker.invoke("Describe", {})
    greeted = invoker.invoke("Greeter", {"name": "Rex"})

    assert isinstance(described.payload, dict) and isinstance(greeted.payload, dict)
    sys_path = described.payload["sys_path"]
    runtime_dir = described.payload["environment"]["LAMBDA_RUNTIME_DIR"]
    assert sys_path[:3] == [str(FUNCTIONS / "probe"), str(LAYER / "python"), runtime_dir]
    assert all(entry.startswith(sys.base_prefix) for entry in sys_path[3:])
    assert described.payload["localcloud_importable"] is False
    assert described.payload["venv_only_importable"] is False
    assert described.payload["executable"].endswith("python3.13")
    assert greeted.payload["greeting"] == "hello Rex"
    assert greeted.payload["module_file"] == str(LAYER / "python" / "greeting.py")


def test_handler_exception_becomes_an_error_result_and_the_worker_survives(
    make_invoker: MakeInvoker, sink: LogSink
) -> None:
    invoker = make_invoker(function("Fail", "probe", "app.fail"))

    failed = invoker.invoke("Fail", {"item": "order-7"})
    again = invoker.invoke("Fail", {"item": "order-8"})

    assert not failed.ok
    assert failed.error_type == "ValueError"
    assert failed.error_message == "cannot handle order-7"
    assert isinstance(failed.payload, dict)
    assert any("in fail" in frame for frame in failed.payload["stackTrace"])
    assert not any("worker.py" in frame for frame in failed.payload["stackTrace"])
    assert again.error_message == "cannot handle order-8" and not again.cold_start
    # The worker's log is forwarded by a reader of its own, maybe after the answer.
    wait_for(lambda: "[ERROR] ValueError: cannot handle order-7" in sink.lines("stack-Fail"))


def test_timeout_kills_the_worker_and_the_next_invocation_starts_cold(
    make_invoker: MakeInvoker,
) -> None:
    invoker = make_invoker(function("Sleep", "probe", "app.sleep", timeout_s=0.5))
    warm = invoker.invoke("Sleep", {"seconds": 0})
    assert isinstance(warm.payload, dict)

    started = time.monotonic()
    timed_out = invoker.invoke("Sleep", {"seconds": 30})
    elapsed = time.monotonic() - started
    after = invoker.invoke("Sleep", {"seconds": 0})

    assert not timed_out.ok
    assert timed_out.error_type == "Sandbox.Timedout"
    assert timed_out.error_message == "Task timed out after 0.50 seconds"
    assert elapsed < 2
    assert after.ok and after.cold_start
    timed_out_pid = warm.payload["pid"]
    assert isinstance(after.payload, dict) and after.payload["pid"] != timed_out_pid
    wait_for(lambda: not process_exists(timed_out_pid))


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        ("app.exit_process", "exit status 3"),
        ("app.exit_interpreter", "exit status 2"),
        ("app.crash", "signal: segmentation fault"),
    ],
)
def test_a_worker_that_exits_fails_its_invocation_and_the_next_one_works(
    make_invoker: MakeInvoker, handler: str, status: str
) -> None:
    invoker = make_invoker(
        function("Exit", "probe", handler), function("Echo", "probe", "app.echo")
    )
    neighbour = invoker.invoke("Echo", {})

    exited = invoker.invoke("Exit", {})
    again = invoker.invoke("Exit", {})
    neighbour_again = invoker.invoke("Echo", {})

    assert not exited.ok
    assert exited.error_type == "Runtime.ExitError"
    assert exited.error_message == f"Runtime exited with error: {status}"
    assert again.error_type == "Runtime.ExitError" and again.cold_start
    assert isinstance(neighbour.payload, dict) and isinstance(neighbour_again.payload, dict)
    assert neighbour_again.payload["pid"] == neighbour.payload["pid"]


def test_handler_that_fails_to_import_reports_import_module_error(
    make_invoker: MakeInvoker,
) -> None:
    invoker = make_invoker(function("Broken", "broken", "app.handler"))

    first = invoker.invoke("Broken", {})
    second = invoker.invoke("Broken", {})

    assert first.error_type == second.error_type == "Runtime.ImportModuleError"
    assert first.error_message == (
        "Unable to import module 'app': No module named 'module_that_does_not_exist'"
    )


def test_missing_handler_function_reports_handler_not_found(make_invoker: MakeInvoker) -> None:
    invoker = make_invoker(function("Missing", "probe", "app.no_such_handler"))

    result = invoker.invoke("Missing", {})

    assert result.error_type == "Runtime.HandlerNotFound"
    assert result.error_message == "Handler 'no_such_handler' missing on module 'app'"


def test_unserialisable_return_value_is_a_marshal_error(make_invoker: MakeInvoker) -> None:
    invoker = make_invoker(function("Unserialisable", "probe", "app.unserialisable"))

    result = invoker.invoke("Unserialisable", {})

    assert result.error_type == "Runtime.MarshalError"
    assert result.error_message is not None and "not JSON serializable" in result.error_message


def test_concurrent_invocations_of_one_function_spawn_more_workers(
    make_invoker: MakeInvoker,
) -> None:
    invoker = make_invoker(function("Sleep", "probe", "app.sleep"), max_concurrency=3)
    barrier = threading.Barrier(6)

    def invoke(_: int) -> int:
        barrier.wait()
        result = invoker.invoke("Sleep", {"seconds": 0.3})
        assert isinstance(result.payload, dict)
        return int(result.payload["pid"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        pids = set(pool.map(invoke, range(6)))

    assert 1 < len(pids) <= 3


def test_warm_starts_a_worker_ahead_of_the_first_invocation(
    make_invoker: MakeInvoker, sink: LogSink
) -> None:
    invoker = make_invoker(function("Echo", "probe", "app.echo"))

    invoker.warm("Echo")
    wait_for(lambda: any(line.startswith("cold start") for line in sink.lines("stack-Echo")))
    result = invoker.invoke("Echo", {})

    assert result.ok and not result.cold_start


def test_handler_output_reaches_the_log_sink_under_the_function_name(
    make_invoker: MakeInvoker, sink: LogSink
) -> None:
    invoker = make_invoker(function("Say", "probe", "app.say"))

    invoker.invoke("Say", {"lines": ["first line", '{"level": "INFO", "message": "json"}']})

    expected = ["first line", '{"level": "INFO", "message": "json"}', "to stderr"]
    wait_for(lambda: all(line in sink.lines("stack-Say") for line in expected))


def test_close_stops_every_worker_and_refuses_new_invocations(make_invoker: MakeInvoker) -> None:
    invoker = make_invoker(function("Echo", "probe", "app.echo"))
    first = invoker.invoke("Echo", {})
    assert isinstance(first.payload, dict)
    worker_pid = first.payload["pid"]

    invoker.close()

    wait_for(lambda: not process_exists(worker_pid))
    with pytest.raises(InvokerClosedError):
        invoker.invoke("Echo", {})


def test_unknown_function_is_a_key_error(make_invoker: MakeInvoker) -> None:
    invoker = make_invoker(function("Echo", "probe", "app.echo"))

    with pytest.raises(KeyError, match="Nope"):
        invoker.invoke("Nope", {})


def test_a_function_whose_runtime_is_not_installed_here_is_refused_at_start(
    sink: LogSink,
) -> None:
    spec = replace(function("Echo", "probe", "app.echo"), runtime="python3.99")

    with pytest.raises(TemplateError, match=r"^Echo \(function stack-Echo\): runtime python3\.99"):
        Invoker({"Echo": spec}, base_env=BASE_ENV, log_sink=sink)


# ---------------------------------------------------------------- trace id and log stream

TRACE_ID = re.compile(r"^Root=(1-[0-9a-f]{8}-[0-9a-f]{24});Parent=[0-9a-f]{16};Sampled=0$")


def observed_lines(sink: LogSink) -> list[tuple[str, str, str]]:
    lines: list[tuple[str, str, str]] = []
    sink.observe(lambda name, line, stream: lines.append((name, line, stream)))
    return lines


def test_each_invocation_has_a_well_formed_trace_id_of_its_own(make_invoker: MakeInvoker) -> None:
    invoker = make_invoker(function("Log", "probe", "app.log_through_context"))

    first, second = invoker.invoke("Log", {}), invoker.invoke("Log", {})

    assert isinstance(first.payload, dict) and isinstance(second.payload, dict)
    first_root = TRACE_ID.match(first.payload["trace_id"])
    second_root = TRACE_ID.match(second.payload["trace_id"])
    assert first_root and second_root and first_root.group(1) != second_root.group(1)


def test_the_trace_id_keeps_the_callers_root(make_invoker: MakeInvoker) -> None:
    invoker = make_invoker(function("Log", "probe", "app.log_through_context"))
    root = "1-5759e988-bd862e3fe1be46a994272793"

    result = invoker.invoke("Log", {}, f"Root={root}")

    assert isinstance(result.payload, dict)
    match = TRACE_ID.match(result.payload["trace_id"])
    assert match and match.group(1) == root


def test_context_log_writes_to_the_functions_log(make_invoker: MakeInvoker, sink: LogSink) -> None:
    invoker = make_invoker(function("Log", "probe", "app.log_through_context"))

    invoker.invoke("Log", {})

    wait_for(lambda: "through context.log" in sink.lines("stack-Log"))


def test_invocations_are_framed_by_start_end_and_report_in_the_context_log_stream(
    make_invoker: MakeInvoker, sink: LogSink
) -> None:
    lines = observed_lines(sink)
    invoker = make_invoker(function("Describe", "probe", "app.describe"))

    cold, warm = invoker.invoke("Describe", {}), invoker.invoke("Describe", {})

    wait_for(lambda: sum(line.startswith("REPORT ") for _, line, _ in lines) == 2)
    assert isinstance(cold.payload, dict)
    stream = cold.payload["context"]["log_stream_name"]
    assert {(name, log_stream) for name, _, log_stream in lines} == {("stack-Describe", stream)}
    platform = [line for _, line, _ in lines]
    assert platform[:2] == [
        f"START RequestId: {cold.request_id} Version: $LATEST",
        f"END RequestId: {cold.request_id}",
    ]
    assert re.fullmatch(
        rf"REPORT RequestId: {cold.request_id}\tDuration: \d+\.\d\d ms\t"
        r"Billed Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\t"
        r"Restore Duration: \d+\.\d\d ms\tBilled Restore Duration: \d+ ms",
        platform[2],
    )
    assert platform[3] == f"START RequestId: {warm.request_id} Version: $LATEST"
    assert "Restore Duration" not in platform[5]
    assert not any(
        line.startswith(("START", "END", "REPORT")) for line in sink.lines("stack-Describe")
    )


def test_a_timed_out_invocation_still_ends_with_end_and_report(
    make_invoker: MakeInvoker, sink: LogSink
) -> None:
    lines = observed_lines(sink)
    invoker = make_invoker(function("Sleep", "probe", "app.sleep", timeout_s=0.5))

    result = invoker.invoke("Sleep", {"seconds": 5})

    assert result.error_type == "Sandbox.Timedout"
    wait_for(lambda: any(line.startswith("REPORT ") for _, line, _ in lines))
    platform = [line for _, line, _ in lines]
    assert platform[0].startswith(f"START RequestId: {result.request_id}")
    assert f"END RequestId: {result.request_id}" in platform
