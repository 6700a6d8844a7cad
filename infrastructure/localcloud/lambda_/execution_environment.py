"""What every execution environment of a function starts with: its environment
variables, built from scratch as Lambda builds them, and how a worker's end is told."""

from __future__ import annotations

import signal
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from localcloud.lambda_.build.runtime_sdk import LambdaRuntime
from localcloud.model import FunctionSpec

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
INIT_TIMEOUT_S = 10.0
"""Lambda's limit on an on-demand function's init phase."""
EXIT_WAIT_S = 2.0


PER_FUNCTION_VARIABLES = frozenset(
    {
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "LAMBDA_TASK_ROOT",
        "_HANDLER",
    }
)
"""What `function_environment` sets beyond the runtime's environment and before the
function's own variables: each function's own values."""


def function_environment(
    spec: FunctionSpec, base_env: dict[str, str], log_stream_name: str, runtime: LambdaRuntime
) -> dict[str, str]:
    """A worker's environment, built from scratch as Lambda builds it: never the
    local cloud's own `os.environ`. The function's variables come last."""
    region = spec.arn.split(":")[3] if spec.arn.count(":") >= 3 else ""
    return {
        **runtime_environment(base_env, runtime, spec.runtime, region),
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name,
        "LAMBDA_TASK_ROOT": str(spec.code_dir),
        "_HANDLER": spec.handler,
        **spec.environment,
    }


def runtime_environment(
    base_env: dict[str, str], runtime: LambdaRuntime, runtime_name: str, region: str = ""
) -> dict[str, str]:
    """What every function of `runtime_name` finds in its environment, whatever the
    function (its own variables come on top: `function_environment`)."""
    region = region or base_env.get("AWS_REGION") or base_env.get("AWS_DEFAULT_REGION", "")
    return {
        "PATH": f"{runtime.interpreter.parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        **base_env,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime_name}",
        "LAMBDA_RUNTIME_DIR": str(runtime.sdk_dir),
    }


def new_log_stream_name() -> str:
    return f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Failure:
    error_type: str
    error_message: str
    stack_trace: tuple[str, ...] = ()


def exit_status(code: int | None) -> str:
    if code is not None and code < 0:
        return f"signal: {(signal.strsignal(-code) or str(-code)).lower()}"
    return f"exit status {code}"
