"""The local cloud: the emulator, the template's resources, its API and its
event source mappings, started and stopped as one."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from botocore.credentials import Credentials

from localcloud.apigateway.authorizers.cognito import CognitoVerifier
from localcloud.apigateway.authorizers.jwt_authorizer import JwtVerifier
from localcloud.apigateway.authorizers.sigv4 import SigV4Verifier
from localcloud.apigateway.gateway import ApiGateway
from localcloud.apigateway.service_integration import ServiceCaller
from localcloud.cloudformation.provision import PreparedTemplate, prepare_template, provision
from localcloud.cloudformation.stack_api import CloudFormationApi, RunningStack
from localcloud.cloudwatch.monitoring import LocalMonitoring, MonitoringSettings
from localcloud.emulator.clients import EmulatorClients
from localcloud.emulator.local_services import LocalServices
from localcloud.emulator.process import (
    LOCAL_CREDENTIALS,
    Emulator,
    ensure_port_free,
    launch_emulator,
    start_emulator,
)
from localcloud.event_sources.base import Poller, PollerContext, SourceRuntime, SourceSettings
from localcloud.event_sources.registry import EVENT_SOURCES
from localcloud.lambda_.build.builder import LambdaBuilder, default_build_dir
from localcloud.lambda_.build.runtime_sdk import default_runtimes_dir, lambda_runtime
from localcloud.lambda_.debugging import FunctionDebug
from localcloud.lambda_.env_vars import EnvVars, apply_env_vars, refuse_unknown_functions
from localcloud.lambda_.execution_environment import PER_FUNCTION_VARIABLES, runtime_environment
from localcloud.lambda_.hot_reload import HotReload
from localcloud.lambda_.invoker import Invoker
from localcloud.lambda_.log_tail import InvocationLogs
from localcloud.lambda_.logs import LogSink
from localcloud.lambda_.preloads import Preloads, layers_preload_key
from localcloud.lambda_.service_api import LambdaApi
from localcloud.model import InvocationResult, Route, Stack, TemplateError, UserPool
from localcloud.testing.faults import StoreFaults

T = TypeVar("T")
R = TypeVar("R")
LocalPage = Callable[[], tuple[int, dict[str, str], bytes]]


@dataclass
class LocalCloudConfig:
    template: Path
    stack_name: str = "petstore"
    region: str = "us-east-1"
    host: str = "127.0.0.1"
    api_port: int = 3000
    emulator_port: int = 4566
    kafka_port: int = 9092
    """The local Kafka broker's, for a template with Kafka resources (unless
    KAFKA_BOOTSTRAP_SERVERS names a broker to use instead)."""
    rabbitmq_port: int = 5672
    """The local RabbitMQ broker's, for a template with Amazon MQ resources (unless
    RABBITMQ_URL names a broker to use instead)."""
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    env_vars: EnvVars = field(default_factory=dict)
    """The functions' variables overridden, as `sam local --env-vars` takes them."""
    imports: dict[str, str] = field(default_factory=dict)
    """What the stacks started before this one export, for its `Fn::ImportValue`."""
    shared_user_pools: dict[str, UserPool] = field(default_factory=dict)
    """The user pools of the stacks started before this one (a Cognito authorizer may
    name one)."""
    part_of_group: bool = False
    """Started by a `StackGroup`, which owns the emulator and answers the Lambda and
    CloudFormation APIs for all its stacks."""
    local_pages: dict[str, LocalPage] = field(default_factory=dict)
    monitoring: MonitoringSettings | None = field(default_factory=MonitoringSettings)
    """Metrics into the emulated CloudWatch and alarm evaluation; None turns them off."""
    quiet: bool = False
    log_stream: TextIO | None = None
    """Where handler logs go (default: standard output)."""
    inject_faults: bool = False
    """Put `LocalCloud.faults` between the functions and the emulator (tests only)."""
    build_dir: Path | None = None
    """Where functions and layers are built, as `sam build` lays them out (default:
    `.local/build` beside the template)."""
    runtimes_dir: Path | None = None
    """Where each runtime's own AWS SDK is installed once (default: a folder in the
    user's cache, shared by every checkout)."""
    hot_reload: bool = False
    """Watch the code folders: a saved file is built in and its functions' next
    invocation runs the new code."""
    preloads: bool = True
    """Functions of one runtime and the same layers fork their snapshots from one process
    that imported the layers' packages once (`localcloud/lambda_/preloads.py`)."""
    verbose: bool = False
    """List every template setting ignored locally at start, not only how many."""
    debug: FunctionDebug | None = None
    """One function to run under debugpy, waiting for a debugger on its port."""


class LocalCloud:
    """Runs a SAM template locally; `start()` returns once everything answers."""

    def __init__(self, config: LocalCloudConfig) -> None:
        self.config = config
        self.emulator: Emulator | None = None
        self.stack: Stack | None = None
        self.log_sink = LogSink(quiet=config.quiet, stream=config.log_stream)
        self.invoker: Invoker | None = None
        self.api: ApiGateway | None = None
        self.monitoring: LocalMonitoring | None = None
        self.log_sink.observe(self._observe_log_line)
        self.invocation_logs = InvocationLogs()
        self.log_sink.observe(self.invocation_logs)
        self.services: LocalServices | None = None
        self._created = datetime.now(UTC)
        self._pollers: list[Poller] = []
        settings = SourceSettings(
            config.host, {"kafka": config.kafka_port, "rabbitmq": config.rabbitmq_port}
        )
        self.event_sources: list[SourceRuntime] = [kind.runtime(settings) for kind in EVENT_SOURCES]
        self.faults: StoreFaults | None = None
        self.builder = LambdaBuilder(
            config.build_dir or default_build_dir(config.template), report=self._report
        )
        self.hot_reload: HotReload | None = None
        self._starting_sources = threading.Lock()
        self._preloads: Preloads | None = None
        self._when_provisioned: list[Callable[[LocalCloud], None]] = []

    @property
    def api_url(self) -> str:
        return f"http://{self.config.host}:{self.config.api_port}"

    @property
    def endpoint_url(self) -> str:
        return self._require(self.emulator, "emulator").endpoint_url

    def runtime_of(self, kind: type[R]) -> R | None:
        """The running part of one kind of event source (e.g. the Kafka broker's)."""
        return next((r for r in self.event_sources if isinstance(r, kind)), None)

    def endpoints(self) -> dict[str, str]:
        """Servers the event sources run, by what they are."""
        return {name: url for r in self.event_sources for name, url in r.endpoints().items()}

    def start(self, emulator: Emulator | None = None) -> float:
        """Start everything; returns the seconds it took. `emulator` is one the
        caller launched ahead (see `launch_emulator`); by default it is started here."""
        started = time.monotonic()
        use_local_credentials(self.config.region)
        try:
            ensure_port_free(self.config.host, self.config.api_port, "The API Gateway emulator")
            self.emulator = emulator or launch_emulator(self.config.host, self.config.emulator_port)
            # Reading the template, building its functions and the preloads' imports need
            # no emulator: done while it boots.
            prepared = self._prepare_template()
            for source in self.event_sources:
                source.launch_early(prepared.loaded.template.get("Resources") or {})
            self._make_provisioning_clients(prepared)
            self._start_faults()
            self._preloads = Preloads(self.log_sink) if self.config.preloads else None
            self._start_preloads(prepared)
            self.emulator.wait_ready()
            self._provision(prepared)
            for then in self._when_provisioned:
                then(self)
            self._start_monitoring()
            self._start_api()
            if not self.config.part_of_group:
                self._start_services()
            self._start_pollers()
            self._start_hot_reload()
        except BaseException:
            if emulator is not None and not self.config.part_of_group:
                emulator.stop()
            self.stop()
            raise
        return time.monotonic() - started

    def when_provisioned(self, then: Callable[[LocalCloud], None]) -> None:
        """`then` runs in `start()` once the stack is provisioned, before the API and the
        pollers start: work that needs the functions alone, such as `take_snapshots`
        (begun there, the first snapshots no longer wait for every poller to start)."""
        self._when_provisioned.append(then)

    def start_functions_only(self) -> None:
        """The emulator, the resources and the functions; no API and no pollers
        (one-off invocations, as `sam local invoke`)."""
        use_local_credentials(self.config.region)
        self.emulator = start_emulator(self.config.host, self.config.emulator_port)
        try:
            self._provision()
        except BaseException:
            self.stop()
            raise

    def invoke(
        self, logical_id: str, event: dict[str, Any], trace_header: str | None = None
    ) -> InvocationResult:
        result = self._require(self.invoker, "invoker").invoke(logical_id, event, trace_header)
        if self.monitoring is not None:
            self.monitoring.invocation(logical_id, result, event)
        return result

    def take_snapshots(self, first: Iterable[str] = (), *, only: bool = False) -> None:
        """Take every function's snapshot in the background, so that each function's first
        invocation only restores a worker. Those `first` names (logical ids) come first, in
        that order; then the functions that events feed, in the order of their mappings,
        then those behind API routes: an event travels through several functions in turn,
        each of which would otherwise wait for its snapshot, where an API call waits for
        one. `only`: those `first` and no others, beside any other call's."""
        invoker = self._require(self.invoker, "invoker")
        if only:
            invoker.take_snapshots(first=first, only=True)
            return
        stack = self._require(self.stack, "stack")
        fed = [poller.mapping.function for poller in self._pollers]
        routed = [route.function for route in stack.routes if route.function is not None]
        invoker.take_snapshots(first=[*first, *fed, *routed])

    def disable_event_sources(self, function: str) -> None:
        """Stop feeding the function (a logical id) from its queues and streams, as
        disabling its event source mappings does; its messages wait in their queues."""
        self._stop_pollers(function)

    def enable_event_sources(self, function: str) -> None:
        """Feed the function from its queues and streams again, after
        `disable_event_sources`."""
        if not any(poller.mapping.function == function for poller in self._pollers):
            self._start_pollers(function)

    def reset(self) -> None:
        """Empty every table, queue and user pool: the emulator is wiped and the
        template provisioned again, with the same names, as at start."""
        self._stop_pollers()
        self._require(self.emulator, "emulator").reset()
        self._provision()
        stack = self._require(self.stack, "stack")
        self._require(self.api, "API").redeploy(stack.routes, self._cognito_verifier())
        self._start_pollers()

    def stop(self) -> None:
        if self.hot_reload is not None:
            self.hot_reload.stop()
            self.hot_reload = None
        self._stop_pollers()
        if self.monitoring is not None:
            self.monitoring.stop()
            self.monitoring = None
        if self.services is not None:
            self.services.stop()
            self.services = None
        if self.api is not None:
            self.api.stop()
            self.api = None
        if self.invoker is not None:
            self.invoker.close()
            self.invoker = None
        if self._preloads is not None:
            self._preloads.close()
            self._preloads = None
        for source in self.event_sources:
            source.stop()
        if self.faults is not None:
            self.faults.stop()
            self.faults = None
        if self.emulator is not None:
            if not self.config.part_of_group:
                self.emulator.stop()
            self.emulator = None

    def _prepare_template(self) -> PreparedTemplate:
        return prepare_template(
            self.config.template,
            region=self.config.region,
            parameter_overrides=self.config.parameter_overrides,
            builder=self.builder,
        )

    def _provision(self, prepared: PreparedTemplate | None = None) -> None:
        stack = provision(
            self.config.template,
            self.endpoint_url,
            stack_name=self.config.stack_name,
            region=self.config.region,
            parameter_overrides=self.config.parameter_overrides,
            imports=self.config.imports,
            builder=self.builder,
            run_function=self._run_while_provisioning,
            prepared=prepared,
        )
        named = apply_env_vars(stack, self.config.env_vars)
        if not self.config.part_of_group:
            refuse_unknown_functions(self.config.env_vars, named, stack.name)
        if self.stack is None and not self.config.quiet:
            print_ignored_summary(
                stack.ignored, self.config.log_stream or sys.stdout, verbose=self.config.verbose
            )
        self.stack = stack
        for source in self.event_sources:
            source.prepare(stack)
        if self.invoker is not None:
            self.invoker.reconfigure(stack.functions)
        else:
            self.invoker = Invoker(
                stack.functions,
                base_env=self._function_base_env(),
                log_sink=self.log_sink,
                runtimes_dir=self.config.runtimes_dir,
                debug=self.config.debug,
                preloads=self._preloads if self._preloads is not None else self.config.preloads,
            )
            if self.config.debug is not None:
                # Its worker starts now, so a debugger can attach before the first call.
                self.invoker.warm(self.config.debug.logical_id)
        self.log_sink.register(spec.name for spec in stack.functions.values())

    def _make_provisioning_clients(self, prepared: PreparedTemplate) -> None:
        """The clients provisioning will call the emulator with (10-100 ms of CPU each),
        made while it boots rather than by the first resource of each service."""
        clients = EmulatorClients.for_emulator(self.endpoint_url, self.config.region)
        for service in sorted(prepared.emulator_services()):
            clients.client(service)

    def _start_preloads(self, prepared: PreparedTemplate) -> None:
        """The preloads of the functions' runtimes and layers start while the emulator
        boots (their imports take a third of a second or more, on the core the emulator's
        own imports leave free), rather than with the first snapshot; with what every
        function of theirs will have in its environment, and the names of what each sets
        on its own."""
        if self._preloads is None:
            return
        runtimes_dir = self.config.runtimes_dir or default_runtimes_dir()
        base_env = self._function_base_env()
        for (runtime_name, layer_dirs), declared in prepared.runtimes_and_layers().items():
            try:
                runtime = lambda_runtime(runtime_name, "the preload", runtimes_dir)
            except TemplateError:
                continue  # reported with the function that names it, once provisioned
            environment = runtime_environment(base_env, runtime, runtime_name, self.config.region)
            own = None if declared is None else PER_FUNCTION_VARIABLES | declared
            self._preloads.start(layers_preload_key(runtime, layer_dirs), environment, own)

    def _run_while_provisioning(
        self, stack: Stack, logical_id: str, event: dict[str, Any]
    ) -> InvocationResult:
        """One invocation of a function of the stack provisioned so far (a custom
        resource's), in an execution environment of its own, with what the stack's
        event sources give functions (a custom resource may make a broker's topics)."""
        with self._starting_sources:
            for source in self.event_sources:
                source.start_for(stack)
        invoker = Invoker(
            {logical_id: stack.functions[logical_id]},
            base_env=self._function_base_env(),
            log_sink=self.log_sink,
            runtimes_dir=self.config.runtimes_dir,
        )
        try:
            return invoker.invoke(logical_id, event)
        finally:
            invoker.close()

    def _start_hot_reload(self) -> None:
        if not self.config.hot_reload:
            return
        invoker = self._require(self.invoker, "invoker")
        self.hot_reload = HotReload(
            self.builder,
            lambda: self._require(self.stack, "stack").functions,
            invoker.recycle,
            self.log_sink,
        )
        self.hot_reload.start()

    def _report(self, line: str) -> None:
        """Build progress: a first build installs requirements and takes seconds."""
        if not self.config.quiet:
            print(line, file=self.config.log_stream or sys.stdout, flush=True)

    def _start_monitoring(self) -> None:
        if self.config.monitoring is None:
            return
        stack = self._require(self.stack, "stack")
        self.monitoring = LocalMonitoring(self.endpoint_url, stack.region, self.config.monitoring)
        self.monitoring.start(stack)

    def _observe_log_line(self, function_name: str, line: str, log_stream: str) -> None:
        if self.monitoring is not None:
            self.monitoring.function_log_line(function_name, line, log_stream)

    def _observe_request(self, route: Route | None, status: int, latency_ms: float) -> None:
        if self.monitoring is not None:
            self.monitoring.api_request(route, status, latency_ms)

    def _start_faults(self) -> None:
        if self.config.inject_faults:
            self.faults = StoreFaults(self.endpoint_url, self.config.host)
            self.faults.start()

    def _function_base_env(self) -> dict[str, str]:
        return {
            **{name: os.environ[name] for name in LOCAL_CREDENTIALS},
            "AWS_ENDPOINT_URL": self.faults.url if self.faults else self.endpoint_url,
            "AWS_REGION": self.config.region,
            "AWS_DEFAULT_REGION": self.config.region,
            "AWS_SAM_LOCAL": "true",
            **{k: v for source in self.event_sources for k, v in source.environment().items()},
        }

    def _start_api(self) -> None:
        stack = self._require(self.stack, "stack")
        self.api = ApiGateway(
            stack.routes,
            self.invoke,
            stage=stack.api_stage,
            region=stack.region,
            account_id=stack.account_id,
            cognito=self._cognito_verifier(),
            sigv4=SigV4Verifier(
                {os.environ["AWS_ACCESS_KEY_ID"]: os.environ["AWS_SECRET_ACCESS_KEY"]},
                stack.region,
                stack.account_id,
            ),
            host=self.config.host,
            port=self.config.api_port,
            local_pages=self.config.local_pages,
            observe_request=self._observe_request,
            log_access=self.log_sink.access,
            jwt=JwtVerifier(
                self.endpoint_url,
                frozenset(pool.pool_id for pool in stack.user_pools.values()),
            ),
            services=ServiceCaller(
                self.endpoint_url,
                stack.region,
                Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]),
            ),
        )
        self.api.start()

    def exports(self) -> dict[str, str]:
        """The stack's exported outputs by export name (execute-api URLs pointing at the
        local API), for the stacks started after it."""
        return {
            name: value
            for running in self.running_stacks()
            for output, value in running.outputs().items()
            if (name := running.stack.described.export_names.get(output))
        }

    def running_stacks(self) -> list[RunningStack]:
        """The stacks CloudFormation's API shows on the emulator's endpoint."""
        if self.stack is None:
            return []
        return [RunningStack(self.stack, self.api_url, self._created)]

    def _start_services(self) -> None:
        """The Lambda API and CloudFormation's view of the stack, on the emulator's endpoint."""
        emulator = self._require(self.emulator, "emulator")
        if not emulator.is_embedded:
            self._report(
                f"  The emulator at {emulator.endpoint_url} is not the local cloud's own: its "
                "Lambda API and CloudFormation stacks are its own, not this stack's"
            )
            return
        self.services = LocalServices(
            {
                "lambda": LambdaApi(lambda: [self]),
                "cloudformation": CloudFormationApi(self.running_stacks),
            },
            self.config.host,
        )
        self.services.start(emulator)

    def _cognito_verifier(self) -> CognitoVerifier:
        stack = self._require(self.stack, "stack")
        pools = {**self.config.shared_user_pools, **stack.user_pools}
        return CognitoVerifier(self.endpoint_url, stack.region, pools)

    def _start_pollers(self, function: str | None = None) -> None:
        """The pollers of every enabled mapping, or of those that feed `function`."""
        stack = self._require(self.stack, "stack")
        context = PollerContext(self.invoke, self.endpoint_url, stack.region)
        started = [
            poller
            for source in self.event_sources
            for poller in source.pollers(stack, context, function)
        ]
        for poller in started:
            poller.start()
        self._pollers += started

    def _stop_pollers(self, function: str | None = None) -> None:
        stopping = [p for p in self._pollers if function in (None, p.mapping.function)]
        # Each poller may be inside a long poll: stop them side by side, not in turn.
        stoppers = [threading.Thread(target=poller.stop) for poller in stopping]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        self._pollers = [p for p in self._pollers if p not in stopping]

    @staticmethod
    def _require(value: T | None, what: str) -> T:
        if value is None:
            raise RuntimeError(f"The local cloud's {what} is not running: call start() first.")
        return value


def use_local_credentials(region: str) -> None:
    """The local cloud's own AWS clients sign with this run's credentials (the only ones
    its emulator takes) and use the stack's region unless the caller chose another. With
    an external emulator (`AWS_ENDPOINT_URL`) the caller's credentials stay."""
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    for name, value in LOCAL_CREDENTIALS.items():
        if os.environ.get("AWS_ENDPOINT_URL"):
            os.environ.setdefault(name, value)
        else:
            os.environ[name] = value


def print_ignored_summary(ignored: list[str], stream: TextIO, *, verbose: bool = False) -> None:
    """How many template settings the local cloud deliberately ignores; `verbose`: one
    line per reason, naming the resources."""
    if not ignored:
        return
    if not verbose:
        settings = "setting" if len(ignored) == 1 else "settings"
        print(
            f"  {len(ignored)} template {settings} ignored locally; --verbose lists them",
            file=stream,
        )
        return
    by_reason: dict[str, list[str]] = {}
    for line in ignored:
        subject, _, reason = line.partition(": ignored locally — ")
        by_reason.setdefault(reason, []).append(subject.split(" (", 1)[0])
    for reason, subjects in sorted(by_reason.items()):
        names = sorted(set(subjects))
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        print(f"  ignored locally: {reason} ({shown})", file=stream)
