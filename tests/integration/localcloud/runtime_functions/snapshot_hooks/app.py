"""A function that registers SnapStart runtime hooks, as AWS's documentation shows them:
a value unique per execution environment is made at init and made afresh after restore."""

import gc
import importlib
import os
import time
import uuid
from pathlib import Path

from snapshot_restore_py import register_after_restore, register_before_snapshot

INIT_PID = os.getpid()
INIT_PARENT_PID = os.getppid()
INIT_ID = uuid.uuid4().hex
ENVIRONMENT_ID = uuid.uuid4().hex
hook_calls = []
invocations = 0


@register_before_snapshot
def registered_first():
    hook_calls.append("before:first")


@register_before_snapshot
def registered_second():
    hook_calls.append("before:second")


@register_after_restore
def new_environment_id():
    global ENVIRONMENT_ID
    if os.environ.get("FAIL_AFTER_RESTORE"):
        raise RuntimeError("cannot reconnect")
    ENVIRONMENT_ID = uuid.uuid4().hex
    hook_calls.append("after:first")


register_after_restore(lambda label: hook_calls.append(f"after:{label}"), label="second")


def handler(event, context):
    global invocations
    invocations += 1
    os.environ["PROBE_MARK"] = str(os.getpid())
    if "meet_at" in event:
        meet(Path(event["meet_at"]), int(event["parties"]))
    if event.get("exit"):
        os._exit(4)
    time.sleep(event.get("seconds", 0))
    return {
        "pid": os.getpid(),
        "init_pid": INIT_PID,
        "init_parent_pid": INIT_PARENT_PID,
        "init_id": INIT_ID,
        "environment_id": ENVIRONMENT_ID,
        "hook_calls": hook_calls,
        "invocations": invocations,
        "probe_mark": os.environ["PROBE_MARK"],
        "function_variable": os.environ.get("FUNCTION_VARIABLE"),
        "log_stream_name": context.log_stream_name,
        "version": "one",
        "layer_module": layer_module_state(event.get("import_module")),
    }


def layer_module_state(name):
    """What a module of a layer (`IMPORTED_IN`, `SEEN`) says of its import, once imported."""
    if name is None:
        return None
    module = importlib.import_module(name)
    return {"imported_in": module.IMPORTED_IN, "seen": getattr(module, "SEEN", None)}


def meet(folder, parties):
    """Waits (bounded) until `parties` invocations have arrived: each in a worker of its own."""
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + 5
    while len(list(folder.iterdir())) < parties and time.monotonic() < deadline:
        time.sleep(0.01)


def open_descriptors(event, context):
    """The file descriptors the process holds (the worker's own pipes among them)."""
    return sorted(int(fd) for fd in os.listdir("/proc/self/fd"))


def garbage_collected(event, context):
    """A full collection in this worker: how many objects it skipped as frozen, how long it
    took and how much of the memory shared with the snapshot it copied (private growth)."""
    before = private_kib()
    started = time.perf_counter()
    gc.collect()
    return {
        "frozen": gc.get_freeze_count(),
        "collect_ms": (time.perf_counter() - started) * 1000,
        "copied_kib": private_kib() - before,
    }


def private_kib():
    fields = dict(
        line.split(":", 1) for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]
    )
    return sum(int(fields[name].split()[0]) for name in ("Private_Clean", "Private_Dirty"))
