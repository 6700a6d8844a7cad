"""Every built function, imported and invoked once by the local cloud's invoker (its
own worker on the template's runtime, with Lambda's path only), against the throw-away
emulator the built template is provisioned into.

Only a failure to start counts against the gate: an init error, a crash, or an import
error raised by the handler (a lazy import). Whatever the handler makes of the sample
event (a 404, a validation error) is the application's business."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from localcloud.cloudformation.provision import provision
from localcloud.emulator.process import LOCAL_CREDENTIALS, free_port
from localcloud.event_sources.kafka.runtime import LocalKafka
from localcloud.event_sources.rabbitmq.runtime import LocalRabbitMQ
from localcloud.lambda_.invoker import Invoker
from localcloud.lambda_.logs import LogSink
from localcloud.model import FunctionSpec, InvocationResult, Stack

from .built_stack import BuiltFunction, BuiltStack
from .layer_probe import PROBE_HANDLER, declared_modules, write_probe
from .sample_events import sample_event

REGION = "us-east-1"
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "SyntaxError"})
HANDLER_OUTCOMES = frozenset({"Runtime.MarshalError"})
"""Runtime errors about what the handler returned, once it ran."""
INIT_TIMEOUT_PREFIX = "Init timed out"
CONCURRENT_INVOCATIONS = 2
"""Cold starts are CPU-bound: more than the machine's cores only slows each down."""
_LOG_TAIL_LINES = 15


@dataclass(frozen=True)
class InvocationCheck:
    logical_id: str
    handler: str
    source: str
    ok: bool
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class _Invocation:
    logical_id: str
    source: str
    event: dict[str, Any]


def provisioned(built: BuiltStack, endpoint_url: str, stack_name: str) -> Stack:
    """The built template in the emulator. A custom resource's function runs from its
    built artifact, as CloudFormation runs it, with a Kafka or RabbitMQ broker of its own
    if the stack has such resources (the Kafka template's topics function makes its
    topics, the RabbitMQ template's topology function declares its queues)."""
    kafka = LocalKafka("127.0.0.1", free_port())
    rabbitmq = LocalRabbitMQ("127.0.0.1", free_port())

    def run_function(stack: Stack, logical_id: str, event: dict[str, Any]) -> InvocationResult:
        kafka.start_for(stack)
        rabbitmq.start_for(stack)
        invoker = Invoker(
            {logical_id: stack.functions[logical_id]},
            base_env={**_base_env(endpoint_url), **kafka.environment(), **rabbitmq.environment()},
            log_sink=LogSink(quiet=True),
        )
        try:
            return invoker.invoke(logical_id, event)
        finally:
            invoker.close()

    try:
        return provision(
            built.built_template,
            endpoint_url,
            stack_name=stack_name,
            region=REGION,
            run_function=run_function,
        )
    finally:
        kafka.stop()
        rabbitmq.stop()


def check_invocations(
    built: BuiltStack, stack: Stack, endpoint_url: str, probe_dir: Path
) -> Iterator[InvocationCheck]:
    """Yields each function's check in the template's order, then the layer probes'."""
    probes = _layer_probes(built, stack, write_probe(probe_dir))
    functions = {**stack.functions, **{spec.logical_id: spec for spec, _ in probes}}
    invocations = [
        _Invocation(logical_id, sample.source, sample.event)
        for logical_id in stack.functions
        for sample in [sample_event(stack, logical_id)]
    ]
    invocations += [
        _Invocation(spec.logical_id, f"import {', '.join(modules)}", {"modules": modules})
        for spec, modules in probes
    ]
    log_sink = LogSink(quiet=True)
    invoker = Invoker(functions, base_env=_base_env(endpoint_url), log_sink=log_sink)

    def check(invocation: _Invocation) -> InvocationCheck:
        spec = functions[invocation.logical_id]
        result = invoker.invoke(invocation.logical_id, invocation.event)
        return judged(spec, invocation.source, result, log_sink.lines(spec.name))

    try:
        with ThreadPoolExecutor(CONCURRENT_INVOCATIONS) as pool:
            yield from pool.map(check, invocations)
    finally:
        invoker.close()


def _base_env(endpoint_url: str) -> dict[str, str]:
    return {
        **LOCAL_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }


def _layer_probes(
    built: BuiltStack, stack: Stack, probe_code: Path
) -> list[tuple[FunctionSpec, list[str]]]:
    """For each combination of layers the functions use, a probe function with those
    layers (and the probe handler for code) that imports what the layers' requirements
    name."""
    users: dict[tuple[str, ...], BuiltFunction] = {}
    for function in built.functions:
        if function.layers:
            users.setdefault(tuple(layer.logical_id for layer in function.layers), function)
    probes = []
    for layer_ids, function in users.items():
        name = "+".join(layer_ids)
        spec = replace(
            stack.functions[function.logical_id],
            logical_id=name,
            name=f"{stack.name}-{name}",
            code_dir=probe_code,
            handler=PROBE_HANDLER,
        )
        modules = declared_modules(function.layers)
        if modules:
            probes.append((spec, modules))
    return probes


def judged(
    spec: FunctionSpec, source: str, result: InvocationResult, log: list[str]
) -> InvocationCheck:
    def verdict(ok: bool, outcome: str, detail: str = "") -> InvocationCheck:
        return InvocationCheck(spec.logical_id, spec.handler, source, ok, outcome, detail)

    if result.ok:
        return verdict(True, _answer(result.payload))
    error = f"{result.error_type}: {result.error_message}"
    if _is_start_failure(result):
        return verdict(False, error, _detail(result.payload, log))
    return verdict(True, f"handler error {result.error_type} (not an import error)")


def _is_start_failure(result: InvocationResult) -> bool:
    error_type = result.error_type or ""
    if error_type == "Sandbox.Timedout":
        return (result.error_message or "").startswith(INIT_TIMEOUT_PREFIX)
    if error_type.startswith("Runtime."):
        return error_type not in HANDLER_OUTCOMES
    return error_type in IMPORT_ERRORS


def _answer(payload: object) -> str:
    if isinstance(payload, dict) and "statusCode" in payload:
        return f"answered {payload['statusCode']}"
    if isinstance(payload, dict) and "batchItemFailures" in payload:
        return f"answered, {len(payload['batchItemFailures'])} batch item failure(s)"
    return "answered"


def _detail(payload: object, log: list[str]) -> str:
    """The function's log (where the runtime writes the error and its traceback), or
    the error's stack trace when the log is empty."""
    if log:
        return "\n".join(log[-_LOG_TAIL_LINES:])
    trace = payload.get("stackTrace") if isinstance(payload, dict) else None
    return "".join(str(frame) for frame in trace).rstrip() if isinstance(trace, list) else ""
