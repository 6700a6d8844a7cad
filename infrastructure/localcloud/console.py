"""`localcloud up`: any SAM template run on this machine, as `sam local start-api` would
run it and with its event sources too, until Ctrl-C. `petstore up` builds on `serve`."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import select
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localcloud.emulator.access import EmulatorAccess, this_run
from localcloud.emulator.process import (
    DEFAULT_PORT,
    Emulator,
    EmulatorStartError,
    PortInUseError,
    free_port,
    launch_emulator,
)
from localcloud.emulator.state_folder import SavedStateError, has_saved_state, prepare_folder
from localcloud.event_sources.kafka.broker import KafkaBrokerFailed, KafkaBrokerUnreachable
from localcloud.event_sources.rabbitmq.broker import (
    RabbitMQBrokerFailed,
    RabbitMQBrokerUnreachable,
)
from localcloud.lambda_.debugging import DEFAULT_DEBUG_PORT, FunctionDebug
from localcloud.lambda_.env_vars import EnvVars, load_env_vars
from localcloud.model import TemplateError

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud
    from localcloud.stack_group import StackGroup

STARTED = time.monotonic()
_LONG_PARAMETER = re.compile(r"ParameterKey=([^,]+),ParameterValue=(.*)")
CLOUD_ERRORS = (
    PortInUseError,
    TemplateError,
    KafkaBrokerUnreachable,
    KafkaBrokerFailed,
    RabbitMQBrokerUnreachable,
    RabbitMQBrokerFailed,
    SavedStateError,
    EmulatorStartError,
)
"""What stops a start with one line naming the cause, never a traceback."""


def parameter_overrides(text: str) -> list[tuple[str, str]]:
    """The parameters one `--parameter-overrides` argument gives, in the syntax `sam deploy`
    takes: `Key=Value` pairs separated by spaces (a value with spaces in quotes), or
    `ParameterKey=Key,ParameterValue=Value`."""
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: {error}") from None
    pairs = []
    for word in words:
        long_form = _LONG_PARAMETER.fullmatch(word)
        if long_form:
            pairs.append((long_form.group(1), long_form.group(2)))
            continue
        key, equals, value = word.partition("=")
        if not equals or not key or key == "ParameterKey":
            raise argparse.ArgumentTypeError(
                f"{word!r}: write a parameter as KEY=VALUE or ParameterKey=KEY,ParameterValue=VALUE"
            )
        pairs.append((key, value))
    return pairs


class _ParameterOverrides(argparse.Action):
    """Every `--parameter-overrides` argument's parameters, in one list of (key, value)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        given = list(getattr(namespace, self.dest) or [])
        setattr(namespace, self.dest, given + [pair for pairs in values for pair in pairs])


def port_number(text: str) -> int:
    """A TCP port to listen on; 0 picks a free one (which the start-up lines print)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {port}")
    return port or free_port()


def add_cloud_arguments(command: argparse.ArgumentParser) -> None:
    """The options every way of starting a local cloud takes (a port of 0: any free one)."""
    command.add_argument("--port", type=port_number, default=3000, help="API port (default 3000)")
    command.add_argument(
        "--emulator-port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"AWS emulator port (default {DEFAULT_PORT})",
    )
    command.add_argument(
        "--kafka-port",
        type=port_number,
        default=9092,
        help="the local Kafka broker's port, for a template with Kafka event sources "
        "(default 9092; KAFKA_BOOTSTRAP_SERVERS names a broker to use instead)",
    )
    command.add_argument(
        "--rabbitmq-port",
        type=port_number,
        default=5672,
        help="the local RabbitMQ broker's port, for a template with Amazon MQ event sources "
        "(default 5672; RABBITMQ_URL names a broker to use instead)",
    )
    command.add_argument(
        "--parameter-overrides",
        nargs="+",
        type=parameter_overrides,
        action=_ParameterOverrides,
        default=[],
        metavar="KEY=VALUE",
        help="template parameters, as sam deploy takes them (e.g. ConsumerVisibilityTimeout=5, "
        "'A=1 B=2' or ParameterKey=A,ParameterValue=1)",
    )
    command.add_argument(
        "--env-vars",
        type=Path,
        metavar="FILE",
        help="override the functions' environment variables from a JSON file in the shape "
        'sam local takes: {"FunctionLogicalId": {"VAR": "value"}, "Parameters": {"VAR": "all"}}',
    )
    command.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        help="keep the emulator's resources and data (tables, queues, topics, user pools and "
        "their users with the same ids) in this folder across restarts (default: start empty)",
    )
    add_verbose_argument(command)
    add_debug_arguments(command, named=True)
    command.add_argument(
        "--no-hot-reload",
        action="store_true",
        help="do not rebuild and reload a function's code when one of its files is saved",
    )
    command.add_argument(
        "--no-preload",
        action="store_true",
        help="take each function's snapshot on an interpreter of its own, which imports its "
        "layers' packages itself (by default functions of one runtime and layers share that)",
    )


def state_folder(args: argparse.Namespace) -> Path | None:
    """The `--state` folder, made owner-only, with a line saying whether it holds a save."""
    if args.state is None:
        return None
    folder = prepare_folder(args.state)
    kept = "resources and data as saved there" if has_saved_state(folder) else "empty"
    print(f"  State         {folder} (starting with {kept}; saved again at Ctrl-C)")
    return folder


def env_vars_of(args: argparse.Namespace) -> EnvVars:
    """The `--env-vars` file's overrides, checked before anything starts."""
    return load_env_vars(args.env_vars) if args.env_vars is not None else {}


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


class StopRequest:
    """Ctrl-C's and SIGTERM's stop, which the main thread waits for. A signal's handler runs
    in the main thread between two bytecodes, wherever that is, inside another handler too:
    so it takes no lock (a second Ctrl-C's handler, run inside the first one's, waited for
    ever on the threading.Event lock that one held). It writes a byte the wait wakes on.

    The kernel may hand the signal to any thread (a poller's, say): the main thread, blocked
    in its wait, then runs no handler until something else wakes it (a Ctrl-C was lost that
    way). So the pipe is also the process's wakeup fd: the signal writes to it whichever
    thread receives it, and the woken main thread runs the handler."""

    def __init__(self) -> None:
        self._wakeup, self._wake = os.pipe()
        os.set_blocking(self._wake, False)
        self.requested = False
        self._previous_wakeup: int | None = None
        if threading.current_thread() is threading.main_thread():
            self._previous_wakeup = signal.set_wakeup_fd(self._wake, warn_on_full_buffer=False)

    def request(self) -> None:
        self.requested = True
        # A full pipe wakes the wait as well; a closed one means nobody waits any more.
        with contextlib.suppress(OSError):
            os.write(self._wake, b"\0")

    def wait(self) -> None:
        """Until a stop is requested: a signal landing just before the wait begins has
        written its byte already, and one landing during it wakes it."""
        while not self.requested:
            select.select([self._wakeup], [], [])

    def close(self) -> None:
        if self._previous_wakeup is not None:
            signal.set_wakeup_fd(self._previous_wakeup)
        for end in (self._wakeup, self._wake):
            os.close(end)


def serve[C: LocalCloud | StackGroup](
    cloud: C, emulator: Emulator | None, on_ready: Callable[[C], None]
) -> int:
    """Start `cloud`, call `on_ready`, then run until Ctrl-C or SIGTERM; always stops it."""
    stop = StopRequest()
    ready = False

    def interrupt(_signum: int, _frame: object) -> None:
        """Ctrl-C: once ready, the stop is asked for, not raised, since a KeyboardInterrupt
        raised inside a finalizer (a connection pool's, collected) is printed and ignored,
        and the cloud ran on. While starting, it interrupts the start."""
        stop.request()
        if not ready:
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, lambda *_: stop.request())
    # Ctrl-C stops the cloud even when whatever started this process ignored SIGINT (a
    # shell without job control starts background commands that way, and Python then
    # leaves it ignored).
    signal.signal(signal.SIGINT, interrupt)
    try:
        cloud.start(emulator)
        on_ready(cloud)
        ready = True
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping the local cloud…", flush=True)
        cloud.stop()
        stop.close()
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
    up.add_argument(
        "--template",
        type=Path,
        action="append",
        help="the SAM template (default template.yaml); given more than once, one stack "
        "each, started in order: a stack's exports feed the next ones' Fn::ImportValue",
    )
    up.add_argument(
        "--stack-name",
        action="append",
        help="the stack's name (default local); with several templates, one per template, "
        "in order (default: each template's folder name)",
    )
    add_cloud_arguments(up)
    return parser


def _up(args: argparse.Namespace) -> int:
    templates = args.template or [Path("template.yaml")]
    names = _stack_names(templates, args.stack_name)
    env_vars = env_vars_of(args)
    print(f"Starting the local cloud for {', '.join(map(str, templates))}…")
    emulator = launch_emulator(port=args.emulator_port, state_dir=state_folder(args))
    from localcloud.cloud import LocalCloud, LocalCloudConfig

    configs = [
        LocalCloudConfig(
            template=template,
            stack_name=name,
            api_port=args.port + index,
            emulator_port=args.emulator_port,
            kafka_port=args.kafka_port,
            rabbitmq_port=args.rabbitmq_port,
            parameter_overrides=dict(args.parameter_overrides),
            env_vars=env_vars,
            hot_reload=not args.no_hot_reload,
            preloads=not args.no_preload,
            verbose=args.verbose,
            debug=function_debug(args.debug, args.debug_port) if index == 0 else None,
        )
        for index, (template, name) in enumerate(zip(templates, names, strict=True))
    ]
    if len(configs) == 1:
        return serve(LocalCloud(configs[0]), emulator, _print_ready)
    from localcloud.stack_group import StackGroup

    return serve(StackGroup(configs), emulator, _print_group_ready)


def _stack_names(templates: list[Path], given: list[str] | None) -> list[str]:
    if given is None:
        # Several templates: each stack is named after its folder (auth/template.yaml: auth).
        return ["local"] if len(templates) == 1 else [t.resolve().parent.name for t in templates]
    if len(given) != len(templates):
        raise TemplateError(
            f"{len(templates)} templates and {len(given)} stack names: give one --stack-name "
            "per --template, in the same order"
        )
    return list(given)


def aws_exports(
    endpoint_url: str, region: str, access: EmulatorAccess, stack_name: str | None = None
) -> str:
    """The shell line that points AWS tools at the emulator with this run's credentials
    (and tests that find their stack through AWS_SAM_STACK_NAME at the running stack)."""
    settings = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,  # the one boto3 reads
        **access.environment(),
    }
    if stack_name is not None:
        settings["AWS_SAM_STACK_NAME"] = stack_name
    return "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in settings.items())


def _print_ready(cloud: LocalCloud) -> None:
    print(f"  API           {cloud.api_url}")
    print(f"  AWS emulator  {cloud.endpoint_url}   (signed with this run's credentials only:)")
    exports = aws_exports(
        cloud.endpoint_url, cloud.config.region, this_run(), cloud.config.stack_name
    )
    print(f"    {exports}")
    print(
        f"  Stack         {cloud.config.stack_name} (CloudFormation's DescribeStacks and the "
        "Lambda API answer on the emulator)"
    )
    for name, address in cloud.endpoints().items():
        print(f"  {name:<13} {address}")
    _print_ready_line()


def _print_group_ready(group: StackGroup) -> None:
    for cloud in group.clouds:
        print(f"  API           {cloud.api_url}   (stack {cloud.config.stack_name})")
    endpoint = group.clouds[0].endpoint_url
    print(f"  AWS emulator  {endpoint}   (signed with this run's credentials only:)")
    print(f"    {aws_exports(endpoint, group.config.region, this_run())}")
    print(
        "  Stacks        "
        + ", ".join(cloud.config.stack_name for cloud in group.clouds)
        + " (CloudFormation's DescribeStacks and the Lambda API answer on the emulator)"
    )
    _print_ready_line()


def _print_ready_line() -> None:
    seconds = time.monotonic() - STARTED
    print(f"Local cloud ready in {seconds:.1f} s — press Ctrl-C to stop.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
