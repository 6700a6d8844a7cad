"""`localcloud up`: any SAM template run on this machine, as `sam local start-api` would
run it and with its event sources too, until Ctrl-C. `petstore up` builds on `serve`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from localcloud.emulator.process import Emulator, PortInUseError, launch_emulator
from localcloud.event_sources.kafka.broker import KafkaBrokerFailed, KafkaBrokerUnreachable
from localcloud.event_sources.rabbitmq.broker import (
    RabbitMQBrokerFailed,
    RabbitMQBrokerUnreachable,
)
from localcloud.lambda_.debugging import DEFAULT_DEBUG_PORT, FunctionDebug
from localcloud.model import TemplateError

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

STARTED = time.monotonic()
CLOUD_ERRORS = (
    PortInUseError,
    TemplateError,
    KafkaBrokerUnreachable,
    KafkaBrokerFailed,
    RabbitMQBrokerUnreachable,
    RabbitMQBrokerFailed,
)
"""What stops a start with one line naming the cause, never a traceback."""


def parameter_override(text: str) -> tuple[str, str]:
    """KEY=VALUE, as `sam deploy --parameter-overrides` takes a parameter."""
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: write a parameter as KEY=VALUE")
    return key, value


def add_cloud_arguments(command: argparse.ArgumentParser) -> None:
    """The options every way of starting a local cloud takes."""
    command.add_argument("--port", type=int, default=3000, help="API port (default 3000)")
    command.add_argument("--emulator-port", type=int, default=4566, help="AWS emulator port")
    command.add_argument(
        "--kafka-port",
        type=int,
        default=9092,
        help="the local Kafka broker's port, for a template with Kafka event sources "
        "(default 9092; KAFKA_BOOTSTRAP_SERVERS names a broker to use instead)",
    )
    command.add_argument(
        "--rabbitmq-port",
        type=int,
        default=5672,
        help="the local RabbitMQ broker's port, for a template with Amazon MQ event sources "
        "(default 5672; RABBITMQ_URL names a broker to use instead)",
    )
    command.add_argument(
        "--parameter-overrides",
        nargs="+",
        type=parameter_override,
        default=[],
        metavar="KEY=VALUE",
        help="template parameters, as sam deploy takes them (e.g. ConsumerVisibilityTimeout=5)",
    )
    add_verbose_argument(command)
    add_debug_arguments(command, named=True)
    command.add_argument(
        "--no-hot-reload",
        action="store_true",
        help="do not rebuild and reload a function's code when one of its files is saved",
    )


def add_debug_arguments(command: argparse.ArgumentParser, *, named: bool) -> None:
    """`--debug FUNCTION` (`--debug` alone where the command names one function) and
    `--debug-port`, as `sam local start-api --debug-function F --debug-port N`."""
    if named:
        command.add_argument(
            "--debug",
            metavar="FUNCTION",
            help="run this function (logical id) under debugpy: it waits for a debugger "
            "(VS Code, PyCharm, any DAP client) on --debug-port before it runs",
        )
    else:
        command.add_argument(
            "--debug",
            action="store_true",
            help="run the function under debugpy, waiting for a debugger on --debug-port",
        )
    command.add_argument(
        "--debug-port",
        type=int,
        default=DEFAULT_DEBUG_PORT,
        help=f"the port the debugged function listens on (default {DEFAULT_DEBUG_PORT})",
    )


def function_debug(function: str | None, port: int) -> FunctionDebug | None:
    if function is None:
        return None
    debug = FunctionDebug(function, port)
    print(
        f"  Debugger      {function} waits for a debugger on {debug.address} (debugpy; "
        "attach with a DAP client, e.g. VS Code's Python debugger, 'connect' to that port)",
        file=sys.stderr,  # `petstore invoke` keeps standard output for the function's result
        flush=True,
    )
    return debug


def add_verbose_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--verbose",
        action="store_true",
        help="list every template setting ignored locally, with the reason",
    )


def serve(
    cloud: LocalCloud, emulator: Emulator | None, on_ready: Callable[[LocalCloud], None]
) -> int:
    """Start `cloud`, call `on_ready`, then run until Ctrl-C or SIGTERM; always stops it."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    # Ctrl-C stops the cloud even when whatever started this process ignored SIGINT (a
    # shell without job control starts background commands that way, and Python then
    # leaves it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        cloud.start(emulator)
        on_ready(cloud)
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping the local cloud…", flush=True)
        cloud.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _up(args)
    except CLOUD_ERRORS as error:
        print(f"localcloud: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="localcloud", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    up = commands.add_parser("up", help="run a SAM template locally until Ctrl-C")
    up.add_argument("--template", type=Path, default=Path("template.yaml"))
    up.add_argument("--stack-name", default="local", help="the stack's name (default local)")
    add_cloud_arguments(up)
    return parser


def _up(args: argparse.Namespace) -> int:
    print(f"Starting the local cloud for {args.template}…")
    emulator = launch_emulator(port=args.emulator_port)
    from localcloud.cloud import LocalCloud, LocalCloudConfig

    cloud = LocalCloud(
        LocalCloudConfig(
            template=args.template,
            stack_name=args.stack_name,
            api_port=args.port,
            emulator_port=args.emulator_port,
            kafka_port=args.kafka_port,
            rabbitmq_port=args.rabbitmq_port,
            parameter_overrides=dict(args.parameter_overrides),
            hot_reload=not args.no_hot_reload,
            verbose=args.verbose,
            debug=function_debug(args.debug, args.debug_port),
        )
    )
    return serve(cloud, emulator, _print_ready)


def _print_ready(cloud: LocalCloud) -> None:
    print(f"  API           {cloud.api_url}")
    print(f"  AWS emulator  {cloud.endpoint_url}   (export AWS_ENDPOINT_URL={cloud.endpoint_url})")
    for name, address in cloud.endpoints().items():
        print(f"  {name:<13} {address}")
    seconds = time.monotonic() - STARTED
    print(f"Local cloud ready in {seconds:.1f} s — press Ctrl-C to stop.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
