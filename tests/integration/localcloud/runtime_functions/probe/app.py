"""Handlers that show what a function sees of its execution environment."""

import os
import signal
import sys
import time


def echo(event, context):
    return {"event": event, "pid": os.getpid()}


def describe(event, context):
    try:
        import localcloud  # noqa: F401

        localcloud_importable = True
    except ImportError:
        localcloud_importable = False
    return {
        "environment": dict(os.environ),
        "sys_path": sys.path,
        "executable": sys.executable,
        "venv_only_importable": _importable("yaml"),
        "cwd": os.getcwd(),
        "localcloud_importable": localcloud_importable,
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "identity": {
                "cognito_identity_id": context.identity.cognito_identity_id,
                "cognito_identity_pool_id": context.identity.cognito_identity_pool_id,
            },
            "client_context": context.client_context,
            "tenant_id": context.tenant_id,
        },
    }


def log_through_context(event, context):
    context.log("through context.log\n")
    return {"trace_id": os.environ.get("_X_AMZN_TRACE_ID")}


def _importable(name):
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def fail(event, context):
    raise ValueError(f"cannot handle {event.get('item')}")


def sleep(event, context):
    time.sleep(event["seconds"])
    return {"pid": os.getpid()}


def exit_process(event, context):
    print("exiting now", flush=True)
    os._exit(event.get("code", 3))


def crash(event, context):
    os.kill(os.getpid(), signal.SIGSEGV)


def exit_interpreter(event, context):
    sys.exit(event.get("code", 2))


def unserialisable(event, context):
    return {"tags": {"a", "b"}}


def say(event, context):
    for line in event["lines"]:
        print(line)
    print("to stderr", file=sys.stderr)
    return {"said": len(event["lines"])}
