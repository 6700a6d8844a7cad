"""What running `sam build`'s layout locally costs, measured side by side in one run.

(a) local cloud start to ready on template.yaml: after a clean build (empty build
    folder and requirements cache), after a build with the requirements cached,
    and with nothing changed since the last start;
(b) hot reload: a saved handler file to the first HTTP answer from the new code
    (the reload test app, a warm worker in place before each save);
(c) ListPetsFunction, a new worker to its first answer: restored from the function's
    snapshot (its init phase already run, as with Lambda SnapStart) beside an ordinary
    cold start (a fresh interpreter that imports the handler) and beside a warm invoke
    (target: restored within 2x of warm); then a whole new Invoker's first answer (its
    snapshot taken, a worker restored) in the artifact layout on python3.13 -I -S beside
    the old way (the virtualenv's interpreter, the virtualenv and the source folders on
    the path).

Run: .venv/bin/python tests/benchmarks/bench_local_build.py [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from unittest import mock

import requests

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import LOCAL_CREDENTIALS, free_port
from localcloud.lambda_ import invoker as invoker_module
from localcloud.lambda_.build.runtime_sdk import LambdaRuntime, default_runtimes_dir, lambda_runtime
from localcloud.lambda_.execution_environment import INIT_TIMEOUT_S
from localcloud.lambda_.invoker import Invoker, _Worker
from localcloud.lambda_.logs import LogSink
from localcloud.lambda_.snapshots import FunctionSnapshot
from localcloud.model import FunctionSpec

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATE = PROJECT / "template.yaml"
RELOAD_APP = PROJECT / "tests/integration/localcloud/reload_app"
LIST_PETS = "ListPetsFunction"
LIST_PETS_EVENT = {
    "httpMethod": "GET",
    "path": "/pets",
    "resource": "/pets",
    "headers": {},
    "queryStringParameters": None,
    "pathParameters": None,
    "requestContext": {"requestId": "bench", "stage": "Prod"},
    "body": None,
    "isBase64Encoded": False,
}


def config(template: Path, build_dir: Path, **extra: object) -> LocalCloudConfig:
    return LocalCloudConfig(
        template=template,
        stack_name="benchbuild",
        api_port=free_port(),
        emulator_port=free_port(),
        build_dir=build_dir,
        monitoring=None,
        quiet=True,
        **extra,
    )


@contextmanager
def running(settings: LocalCloudConfig) -> Iterator[tuple[LocalCloud, float]]:
    cloud = LocalCloud(settings)
    started = time.monotonic()
    cloud.start()
    try:
        yield cloud, time.monotonic() - started
    finally:
        cloud.stop()


def start_to_ready(build_dir: Path) -> dict[str, float]:
    figures = {}
    with running(config(TEMPLATE, build_dir)) as (_, seconds):
        figures["clean build (requirements installed)"] = seconds
    for artifact in build_dir.iterdir():
        if artifact.name != ".requirements":
            shutil.rmtree(artifact)
    with running(config(TEMPLATE, build_dir)) as (_, seconds):
        figures["artifacts rebuilt (requirements cached)"] = seconds
    with running(config(TEMPLATE, build_dir)) as (_, seconds):
        figures["nothing changed"] = seconds
    return figures


def save_to_new_code(work: Path, runs: int) -> list[float]:
    app = work / "reload_app"
    shutil.copytree(RELOAD_APP, app, ignore=shutil.ignore_patterns(".local"))
    handler = app / "code" / "app.py"
    original = handler.read_text()
    figures = []
    with running(config(app / "template.yaml", work / "reload_build", hot_reload=True)) as (
        cloud,
        _,
    ):
        url = f"{cloud.api_url}/items/rex"
        requests.put(url, timeout=30)
        for run in range(runs):
            version = f"bench{run}"
            saved = time.monotonic()
            handler.write_text(original.replace('VERSION = "v1"', f'VERSION = "{version}"'))
            while requests.get(url, timeout=30).json().get("version") != version:
                if time.monotonic() - saved > 30:
                    raise RuntimeError("the new code never answered")
            figures.append(time.monotonic() - saved)
    return figures


def worker_base_env(cloud: LocalCloud) -> dict[str, str]:
    return {
        **LOCAL_CREDENTIALS,
        "AWS_ENDPOINT_URL": cloud.endpoint_url,
        "AWS_REGION": cloud.config.region,
    }


def worker_starts(cloud: LocalCloud, spec: FunctionSpec, runs: int) -> dict[str, list[float]]:
    """New worker to first answer, restored and started afresh, and a warm invoke, the
    samples alternating so that all three see the same machine load."""
    base_env, sink = worker_base_env(cloud), LogSink(quiet=True)
    runtime = lambda_runtime(spec.runtime, spec.logical_id, default_runtimes_dir())
    snapshot = FunctionSnapshot(spec, base_env, sink, runtime, generation=0)
    snapshot.wait_ready(INIT_TIMEOUT_S)
    figures: dict[str, list[float]] = {"restored": [], "cold": [], "warm": []}
    try:
        for _ in range(runs):
            for kind, from_snapshot in (("restored", snapshot), ("cold", None)):
                started = time.monotonic()
                worker = _Worker(spec, base_env, sink, runtime, snapshot=from_snapshot)
                first_answer(worker, spec)
                figures[kind].append(time.monotonic() - started)
                started = time.monotonic()
                first_answer(worker, spec)
                figures["warm"].append(time.monotonic() - started)
                worker.kill()
    finally:
        snapshot.close()
    return figures


def first_answer(worker: _Worker, spec: FunctionSpec) -> None:
    failure = worker.wait_ready()
    if failure is not None:
        raise RuntimeError(f"{spec.logical_id} did not start: {failure.error_message}")
    request = {
        "request_id": str(uuid.uuid4()),
        "invoked_function_arn": spec.arn,
        "deadline_ms": int((time.time() + spec.timeout_s) * 1000),
        "event": LIST_PETS_EVENT,
        "trace_id": None,
    }
    response = worker.run(request, spec.timeout_s)
    if not isinstance(response, dict) or not response.get("ok"):
        raise RuntimeError(f"{spec.logical_id} failed: {response}")


def cold_starts(cloud: LocalCloud, spec: FunctionSpec, runs: int) -> list[float]:
    """A new Invoker per sample: snapshot, restore, first answer."""
    base_env = worker_base_env(cloud)
    figures = []
    for _ in range(runs):
        invoker = Invoker({spec.logical_id: spec}, base_env=base_env, log_sink=LogSink(quiet=True))
        started = time.monotonic()
        result = invoker.invoke(spec.logical_id, LIST_PETS_EVENT)
        figures.append(time.monotonic() - started)
        invoker.close()
        if not result.ok:
            raise RuntimeError(f"{spec.logical_id} failed: {result.error_message}")
    return figures


def the_old_way(
    spec: FunctionSpec, work: Path
) -> tuple[FunctionSpec, Callable[..., LambdaRuntime]]:
    """The virtualenv's interpreter with its site-packages, the sources on the path."""
    old_layer = work / "old_layer"
    old_layer.mkdir(exist_ok=True)
    (old_layer / "python").unlink(missing_ok=True)
    (old_layer / "python").symlink_to(PROJECT / "layers" / "shared")
    venv = LambdaRuntime(Path(sys.executable), Path(sysconfig.get_paths()["purelib"]))
    source = replace(spec, code_dir=PROJECT / "functions" / "pets", layer_dirs=(old_layer,))
    return source, lambda *_: venv


def print_figures(title: str, figures: list[float]) -> None:
    median = statistics.median(figures) * 1000
    print(f"  {title:<52} median {median:6.0f} ms  max {max(figures) * 1000:6.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="samples per figure")
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="bench-local-build-") as folder:
        work = Path(folder)
        print("(a) local cloud start to ready, template.yaml:")
        for title, seconds in start_to_ready(work / "build").items():
            print(f"  {title:<52} {seconds:6.1f} s")
        print("(b) hot reload, save to the first answer from the new code:")
        print_figures("reload_app handler", save_to_new_code(work, runs))
        print(f"(c) {LIST_PETS}, new worker to first answer:")
        with running(config(TEMPLATE, work / "build")) as (cloud, _):
            assert cloud.stack is not None
            spec = cloud.stack.functions[LIST_PETS]
            starts = worker_starts(cloud, spec, runs)
            print_figures("restored from the snapshot", starts["restored"])
            print_figures("ordinary cold start (imports the handler)", starts["cold"])
            print_figures("warm invoke", starts["warm"])
            ratio = statistics.median(starts["restored"]) / statistics.median(starts["warm"])
            print(f"  restored / warm: {ratio:.2f} (target <= 2)")
            print_figures(
                "new Invoker, artifact layout, python3.13 -I -S", cold_starts(cloud, spec, runs)
            )
            old_spec, old_runtime = the_old_way(spec, work)
            with mock.patch.object(invoker_module, "lambda_runtime", old_runtime):
                print_figures(
                    "old way, venv interpreter and path", cold_starts(cloud, old_spec, runs)
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
