"""Workers restored from a function's snapshot, as Lambda SnapStart restores execution
environments: the init phase runs once, the runtime hooks of `snapshot_restore_py` run
where AWS runs them, and each restored worker is an environment of its own."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from localcloud.lambda_.build.runtime_sdk import default_runtimes_dir, lambda_runtime
from localcloud.lambda_.execution_environment import PER_FUNCTION_VARIABLES, runtime_environment
from localcloud.lambda_.invoker import Invoker
from localcloud.lambda_.logs import LogSink
from localcloud.lambda_.preloads import Preload, Preloads, layers_preload_key
from localcloud.lambda_.snapshots import RestoredProcess
from localcloud.model import FunctionSpec

FUNCTIONS = Path(__file__).parents[3] / "integration" / "localcloud" / "runtime_functions"
ACCOUNT_ARN = "arn:aws:lambda:eu-west-1:123456789012:function"
BASE_ENV = {"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}
HOOKS_IN_ORDER = ["before:second", "before:first", "after:first", "after:second"]
"""Before-snapshot hooks last registered first; after-restore hooks first registered first."""


def hooked(logical_id: str, code_dir: Path, **environment: str) -> FunctionSpec:
    return FunctionSpec(
        logical_id=logical_id,
        name=f"stack-{logical_id}",
        code_dir=code_dir,
        handler="app.handler",
        layer_dirs=(),
        environment=environment,
        timeout_s=2.0,
        memory_mb=256,
        runtime="python3.13",
        arn=f"{ACCOUNT_ARN}:stack-{logical_id}",
    )


@pytest.fixture
def sink() -> LogSink:
    return LogSink(quiet=True)


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    """A copy of the hooked function, which a test may edit."""
    return Path(shutil.copytree(FUNCTIONS / "snapshot_hooks", tmp_path / "snapshot_hooks"))


@pytest.fixture
def invoker(sink: LogSink, code_dir: Path) -> Iterator[Invoker]:
    started = Invoker(
        {
            "Hooked": hooked("Hooked", code_dir, FUNCTION_VARIABLE="hooked"),
            "Neighbour": hooked("Neighbour", code_dir, FUNCTION_VARIABLE="neighbour"),
        },
        base_env=BASE_ENV,
        log_sink=sink,
        max_concurrency_per_function=2,
    )
    yield started
    started.close()


def payload_of(invoker: Invoker, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
    result = invoker.invoke(logical_id, event)
    assert result.ok, result.payload
    assert isinstance(result.payload, dict)
    return result.payload


def two_concurrent(invoker: Invoker, meeting_place: Path) -> list[dict[str, Any]]:
    """Two invocations of Hooked that wait for each other: two restored workers."""
    meeting_place.mkdir()
    event = {"meet_at": str(meeting_place), "parties": 2}
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda _: payload_of(invoker, "Hooked", event), range(2)))


def test_two_restored_workers_share_the_init_but_not_their_state(
    invoker: Invoker, tmp_path: Path
) -> None:
    first, second = two_concurrent(invoker, tmp_path / "meet")

    assert first["pid"] != second["pid"]
    assert first["init_pid"] == second["init_pid"] not in {first["pid"], second["pid"]}
    assert first["init_id"] == second["init_id"]
    for worker in (first, second):
        assert worker["probe_mark"] == str(worker["pid"])
        assert worker["invocations"] == 1
    assert first["log_stream_name"] != second["log_stream_name"]


def test_a_restored_workers_garbage_collections_leave_what_it_shares_with_its_snapshot(
    sink: LogSink, code_dir: Path
) -> None:
    """What the snapshot holds is frozen before each fork (`gc.freeze`, as Python's docs
    advise for fork without exec): a full collection in a worker skips it, instead of
    writing to every object's header and so copying the pages it shares with the snapshot
    (measured: ~25 MB copied and 70-80 ms a collection beside a preload of boto3,
    pydantic and Powertools)."""
    spec = replace(hooked("Collecting", code_dir), handler="app.garbage_collected")
    invoker = Invoker({"Collecting": spec}, base_env=BASE_ENV, log_sink=sink)
    try:
        collected = payload_of(invoker, "Collecting", {})
    finally:
        invoker.close()

    assert collected["frozen"] > 10_000, "the snapshot's objects are not frozen in the worker"
    assert collected["copied_kib"] < 2048, f"a collection copied {collected['copied_kib']} KiB"


def test_a_value_unique_per_environment_is_made_afresh_by_the_after_restore_hook(
    invoker: Invoker, tmp_path: Path
) -> None:
    first, second = two_concurrent(invoker, tmp_path / "meet")

    assert first["environment_id"] != second["environment_id"]


def test_hooks_run_once_per_restored_worker_in_awss_order(invoker: Invoker, tmp_path: Path) -> None:
    workers = two_concurrent(invoker, tmp_path / "meet")
    again = payload_of(invoker, "Hooked", {})

    for worker in workers:
        assert worker["hook_calls"] == HOOKS_IN_ORDER
    assert again["pid"] in {worker["pid"] for worker in workers}
    assert again["hook_calls"] == HOOKS_IN_ORDER
    assert again["invocations"] == 2


def test_functions_of_one_code_have_snapshots_and_environments_of_their_own(
    invoker: Invoker,
) -> None:
    hooked_result = payload_of(invoker, "Hooked", {})
    neighbour = payload_of(invoker, "Neighbour", {})

    assert hooked_result["function_variable"] == "hooked"
    assert neighbour["function_variable"] == "neighbour"
    assert hooked_result["init_pid"] != neighbour["init_pid"]
    assert hooked_result["init_id"] != neighbour["init_id"]
    assert neighbour["invocations"] == 1


def test_functions_of_one_runtime_and_layers_fork_their_snapshots_from_one_preload(
    invoker: Invoker, sink: LogSink
) -> None:
    hooked_result = payload_of(invoker, "Hooked", {})
    neighbour = payload_of(invoker, "Neighbour", {})

    preload = hooked_result["init_parent_pid"]
    assert neighbour["init_parent_pid"] == preload
    assert preload not in {os.getpid(), hooked_result["init_pid"], neighbour["init_pid"]}
    assert any("preloaded" in line for line in sink.lines("stack-Hooked"))


def test_a_preload_that_died_is_started_again_for_the_next_snapshot(invoker: Invoker) -> None:
    first = payload_of(invoker, "Hooked", {})
    os.kill(first["init_parent_pid"], signal.SIGKILL)
    wait_for(lambda: not process_alive(first["init_parent_pid"]))

    neighbour = payload_of(invoker, "Neighbour", {})
    wait_for(lambda: not process_alive(first["init_pid"]))
    again = payload_of(invoker, "Hooked", {})

    assert neighbour["init_parent_pid"] not in {first["init_parent_pid"], os.getpid()}
    assert again["init_parent_pid"] == neighbour["init_parent_pid"]
    assert again["init_pid"] != first["init_pid"]


def test_a_layer_whose_preloaded_package_was_installed_again_gets_a_new_preload(
    sink: LogSink, code_dir: Path, tmp_path: Path
) -> None:
    layer = tmp_path / "layer"
    package = layer / "python" / "pydantic"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VERSION = 'one'\n")
    spec = replace(hooked("Hooked", code_dir), layer_dirs=(layer,))
    started = Invoker({"Hooked": spec}, base_env=BASE_ENV, log_sink=sink)
    try:
        first = payload_of(started, "Hooked", {})
        (package / "__init__.py").write_text("VERSION = 'two'\n")
        os.utime(package / "__init__.py", ns=(1, 1))
        started.recycle(["Hooked"])
        again = payload_of(started, "Hooked", {})
    finally:
        started.close()

    assert first["init_parent_pid"] != os.getpid()
    assert again["init_parent_pid"] not in {first["init_parent_pid"], os.getpid()}


def layer_with_own_package(tmp_path: Path) -> Path:
    """A layer whose own package (no distribution claims it) has a module that reads no
    environment variable at import, one that reads a function's own and one that reads a
    variable no function sets."""
    package = tmp_path / "layer" / "python" / "shop_common"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("import os\nIMPORTED_IN = os.getpid()\n")
    (package / "service.py").write_text(
        "import os\nIMPORTED_IN = os.getpid()\nSEEN = os.environ.get('SERVICE_NAME')\n"
    )
    (package / "settings.py").write_text(
        "import os\nIMPORTED_IN = os.getpid()\nSEEN = os.environ.get('SHOP_CONFIG_FILE')\n"
    )
    (package / "heartbeat.py").write_text(
        "import os, threading\nIMPORTED_IN = os.getpid()\n"
        "threading.Thread(target=threading.Event().wait, daemon=True).start()\n"
    )
    return tmp_path / "layer"


def test_a_layers_own_modules_that_read_nothing_of_the_functions_are_preloaded(
    sink: LogSink, code_dir: Path, tmp_path: Path
) -> None:
    layer = layer_with_own_package(tmp_path)
    functions = {
        logical_id: replace(
            hooked(logical_id, code_dir, SERVICE_NAME=logical_id.lower()), layer_dirs=(layer,)
        )
        for logical_id in ("Hooked", "Neighbour")
    }
    started = Invoker(functions, base_env=BASE_ENV, log_sink=sink)
    try:
        models = payload_of(started, "Hooked", {"import_module": "shop_common.models"})
        settings = payload_of(started, "Hooked", {"import_module": "shop_common.settings"})
        service = payload_of(started, "Hooked", {"import_module": "shop_common.service"})
        neighbours = payload_of(started, "Neighbour", {"import_module": "shop_common.service"})
        threaded = payload_of(started, "Neighbour", {"import_module": "shop_common.heartbeat"})
    finally:
        started.close()

    preload = models["init_parent_pid"]
    assert models["layer_module"]["imported_in"] == preload
    # A variable no function sets reads the same (nothing) in every function's environment.
    assert settings["layer_module"] == {"imported_in": preload, "seen": None}
    # Read at import, the service's name is each function's own: imported by each itself.
    assert service["layer_module"] == {"imported_in": service["pid"], "seen": "hooked"}
    assert neighbours["layer_module"]["seen"] == "neighbour"
    assert neighbours["init_parent_pid"] == preload
    # A module that starts a thread at import: a forked snapshot would not have the thread.
    assert threaded["layer_module"]["imported_in"] == threaded["pid"]


def test_a_preloaded_layer_module_changed_gets_a_new_preload(
    sink: LogSink, code_dir: Path, tmp_path: Path
) -> None:
    layer = layer_with_own_package(tmp_path)
    spec = replace(hooked("Hooked", code_dir), layer_dirs=(layer,))
    started = Invoker({"Hooked": spec}, base_env=BASE_ENV, log_sink=sink)
    try:
        first = payload_of(started, "Hooked", {"import_module": "shop_common.models"})
        models = layer / "python" / "shop_common" / "models.py"
        models.write_text(models.read_text() + "CHANGED = True\n")
        os.utime(models, ns=(1, 1))
        started.recycle(["Hooked"])
        again = payload_of(started, "Hooked", {"import_module": "shop_common.models"})
    finally:
        started.close()

    assert again["init_parent_pid"] not in {first["init_parent_pid"], os.getpid()}
    assert again["layer_module"]["imported_in"] == again["init_parent_pid"]


def test_a_function_whose_artifact_holds_a_preloaded_module_takes_its_snapshot_alone(
    sink: LogSink, code_dir: Path
) -> None:
    """Its own `botocore` comes first on its path: the preload's would not be its own."""
    (code_dir / "botocore").mkdir()
    (code_dir / "botocore" / "__init__.py").write_text("OWN = True\n")
    started = Invoker({"Hooked": hooked("Hooked", code_dir)}, base_env=BASE_ENV, log_sink=sink)
    try:
        result = payload_of(started, "Hooked", {})
    finally:
        started.close()

    assert result["init_parent_pid"] == os.getpid()
    assert not any("preloaded" in line for line in sink.lines("stack-Hooked"))


def test_without_preloads_every_snapshot_starts_on_an_interpreter_of_its_own(
    sink: LogSink, code_dir: Path
) -> None:
    functions = {"Hooked": hooked("Hooked", code_dir), "Neighbour": hooked("Neighbour", code_dir)}
    started = Invoker(functions, base_env=BASE_ENV, log_sink=sink, preloads=False)
    try:
        parents = {payload_of(started, name, {})["init_parent_pid"] for name in functions}
    finally:
        started.close()

    assert parents == {os.getpid()}


def test_a_timed_out_worker_dies_alone_and_its_replacement_is_restored(
    invoker: Invoker, sink: LogSink
) -> None:
    neighbour = payload_of(invoker, "Neighbour", {})
    before = payload_of(invoker, "Hooked", {})

    timed_out = invoker.invoke("Hooked", {"seconds": 30})
    after = payload_of(invoker, "Hooked", {})

    assert timed_out.error_type == "Sandbox.Timedout"
    assert after["pid"] != before["pid"]
    assert after["init_pid"] == before["init_pid"]
    assert after["environment_id"] != before["environment_id"]
    assert after["hook_calls"] == HOOKS_IN_ORDER
    assert payload_of(invoker, "Neighbour", {})["pid"] == neighbour["pid"]
    snapshots_taken = [line for line in sink.lines("stack-Hooked") if "snapshot taken" in line]
    assert len(snapshots_taken) == 1


def test_a_crashed_worker_reports_its_exit_and_its_replacement_is_restored(
    invoker: Invoker,
) -> None:
    before = payload_of(invoker, "Hooked", {})

    crashed = invoker.invoke("Hooked", {"exit": True})
    after = invoker.invoke("Hooked", {})

    assert crashed.error_type == "Runtime.ExitError"
    assert crashed.error_message == "Runtime exited with error: exit status 4"
    assert after.ok and after.cold_start
    assert isinstance(after.payload, dict)
    assert after.payload["init_pid"] == before["init_pid"]
    assert after.payload["pid"] != before["pid"]


def test_new_code_takes_a_new_snapshot(invoker: Invoker, code_dir: Path) -> None:
    before = payload_of(invoker, "Hooked", {})
    app = code_dir / "app.py"
    app.write_text(app.read_text().replace('"version": "one"', '"version": "two"'))

    invoker.recycle(["Hooked"])
    after = payload_of(invoker, "Hooked", {})

    assert (before["version"], after["version"]) == ("one", "two")
    assert after["init_pid"] != before["init_pid"]
    assert after["init_id"] != before["init_id"]
    # Its own code is never preloaded: the preload serves the new snapshot too.
    assert after["init_parent_pid"] == before["init_parent_pid"]


def test_closing_the_invoker_ends_the_snapshots_and_their_workers(invoker: Invoker) -> None:
    result = payload_of(invoker, "Hooked", {})

    invoker.close()

    for pid in (result["pid"], result["init_pid"], result["init_parent_pid"]):
        wait_for(lambda pid=pid: not process_alive(pid))


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_snapshots_taken_ahead_of_traffic_serve_the_first_invocations(
    invoker: Invoker, sink: LogSink
) -> None:
    def snapshots_taken(function: str) -> int:
        return sum("snapshot taken" in line for line in sink.lines(function))

    invoker.take_snapshots()
    wait_for(
        lambda: snapshots_taken("stack-Hooked") == snapshots_taken("stack-Neighbour") == 1,
        timeout_s=20,
    )
    first = invoker.invoke("Hooked", {})

    assert first.ok and first.cold_start
    assert snapshots_taken("stack-Hooked") == 1
    assert isinstance(first.payload, dict)
    assert first.payload["hook_calls"] == HOOKS_IN_ORDER


def test_snapshots_are_taken_one_at_a_time_those_named_first_first(
    code_dir: Path,
) -> None:
    printed = io.StringIO()
    sink = LogSink(stream=printed)
    functions = {name: hooked(name, code_dir) for name in ("First", "Second", "Third")}
    started = Invoker(functions, base_env=BASE_ENV, log_sink=sink)
    try:
        started.take_snapshots(first=["Third", "Unknown", "First"])

        def taken() -> list[str]:
            lines = printed.getvalue().splitlines()
            return [line.split()[0] for line in lines if "snapshot taken" in line]

        wait_for(lambda: len(taken()) == 3, timeout_s=30)
    finally:
        started.close()

    assert taken() == ["Third", "First", "Second"]


def test_snapshots_taken_only_for_those_named_leave_the_others_untaken(
    code_dir: Path,
) -> None:
    printed = io.StringIO()
    sink = LogSink(stream=printed)
    functions = {name: hooked(name, code_dir) for name in ("First", "Second", "Third")}
    started = Invoker(functions, base_env=BASE_ENV, log_sink=sink)
    try:
        started.take_snapshots(first=["Third", "Unknown"], only=True)
        for taker in [t for t in threading.enumerate() if t.name == "snapshots"]:
            taker.join(timeout=30)
            assert not taker.is_alive()
    finally:
        started.close()

    lines = printed.getvalue().splitlines()
    assert [line.split()[0] for line in lines if "snapshot taken" in line] == ["Third"]


def test_a_restored_worker_holds_only_its_standard_streams_and_its_two_pipes(
    sink: LogSink, code_dir: Path
) -> None:
    spec = replace(hooked("Descriptors", code_dir), handler="app.open_descriptors")
    started = Invoker({"Descriptors": spec}, base_env=BASE_ENV, log_sink=sink)
    try:
        result = started.invoke("Descriptors", {})
    finally:
        started.close()

    assert result.ok and result.cold_start
    assert isinstance(result.payload, list)
    # stdin, stdout, stderr, the request and response pipes, and the listing's own
    assert len(result.payload) == 6
    assert result.payload[:3] == [0, 1, 2]


def test_a_failing_after_restore_hook_fails_the_invocation_with_snapstart_exception(
    sink: LogSink, code_dir: Path
) -> None:
    spec = hooked("Failing", code_dir, FAIL_AFTER_RESTORE="1")
    started = Invoker({"Failing": spec}, base_env=BASE_ENV, log_sink=sink)
    try:
        first = started.invoke("Failing", {})
        second = started.invoke("Failing", {})
    finally:
        started.close()

    assert first.error_type == second.error_type == "SnapStartException"
    assert first.error_message == (
        "The afterRestore() runtime hook encountered an error. "
        "For more information, check the Amazon CloudWatch logs."
    )
    wait_for(lambda: "[ERROR] RuntimeError: cannot reconnect" in sink.lines("stack-Failing"))


def test_crashing_a_functions_workers_kills_them_alone_and_the_next_worker_is_restored(
    invoker: Invoker,
) -> None:
    before = payload_of(invoker, "Hooked", {})
    neighbour = payload_of(invoker, "Neighbour", {})

    crashed = invoker.crash_workers("Hooked")
    wait_for(lambda: not process_alive(before["pid"]))
    after = payload_of(invoker, "Hooked", {})

    assert crashed == 1
    assert after["pid"] != before["pid"]
    assert after["init_pid"] == before["init_pid"]
    assert payload_of(invoker, "Neighbour", {})["pid"] == neighbour["pid"]


def test_a_worker_killed_before_it_leads_its_own_session_still_ends() -> None:
    """A snapshot or worker just forked shares its parent's process group until it calls
    setsid: killing its group alone left it running, and stopping the cloud then waited
    for it for ever (Ctrl-C right after `petstore up` was ready, while snapshots were
    being forked)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert os.getpgid(child.pid) != child.pid
        RestoredProcess(child.pid).kill()
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        child.kill()
        child.wait()


def early_preloads(sink: LogSink, **overrides: str) -> tuple[Preloads, Preload]:
    """Preloads with the python3.13 one started before any function is known, as the
    local cloud starts it while provisioning, with what every function will have."""
    runtime = lambda_runtime("python3.13", "the preload", default_runtimes_dir())
    key = layers_preload_key(runtime, ())
    preloads = Preloads(sink)
    environment = runtime_environment(BASE_ENV, runtime, "python3.13", "eu-west-1")
    preloads.start(key, {**environment, **overrides}, PER_FUNCTION_VARIABLES)
    started = preloads._preloads[key]
    return preloads, started


def test_a_preload_started_before_its_functions_were_known_serves_their_snapshots(
    sink: LogSink, code_dir: Path
) -> None:
    preloads, early = early_preloads(sink)
    functions = {"Hooked": hooked("Hooked", code_dir), "Neighbour": hooked("Neighbour", code_dir)}
    started = Invoker(functions, base_env=BASE_ENV, log_sink=sink, preloads=preloads)
    try:
        parents = {payload_of(started, name, {})["init_parent_pid"] for name in functions}
    finally:
        started.close()

    assert parents == {early.process.pid}


def test_an_early_preload_whose_imports_read_another_value_is_replaced(
    sink: LogSink, code_dir: Path
) -> None:
    """Its imports read HOME (botocore's, for the AWS config files), which the functions
    do not have: they would not have imported the same."""
    preloads, early = early_preloads(sink, HOME="/elsewhere")
    functions = {"Hooked": hooked("Hooked", code_dir)}
    started = Invoker(functions, base_env=BASE_ENV, log_sink=sink, preloads=preloads)
    try:
        result = payload_of(started, "Hooked", {})
    finally:
        started.close()

    assert result["init_parent_pid"] not in {early.process.pid, os.getpid()}
    assert any("preloaded" in line for line in sink.lines("stack-Hooked"))
