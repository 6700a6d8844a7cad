"""Several templates in one run, as several stacks of one account: each stack is its own
local cloud (its API on its own port, its functions, its event sources) on one emulator.

Stacks start in the order given, so a stack's exports feed the `Fn::ImportValue` of the
stacks after it and a Cognito authorizer may name an earlier stack's user pool (an auth
stack, then the services that trust its pool). The Lambda API and CloudFormation's
DescribeStacks answer for every stack of the group."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from localcloud.cloud import LocalCloud, LocalCloudConfig, use_local_credentials
from localcloud.cloudformation.stack_api import CloudFormationApi
from localcloud.cloudformation.template import parse_template
from localcloud.emulator.local_services import LocalServices
from localcloud.emulator.process import Emulator, start_emulator
from localcloud.lambda_.env_vars import refuse_unknown_functions
from localcloud.lambda_.service_api import LambdaApi
from localcloud.model import TemplateError


class StackGroup:
    """Runs `configs` (one per template) as one local cloud; `start()` returns once every
    stack answers. Each config's parameter overrides and env vars go to the stacks that
    declare them; one no stack declares is refused."""

    def __init__(self, configs: list[LocalCloudConfig]) -> None:
        names = [config.stack_name for config in configs]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise TemplateError(
                f"Stack names {', '.join(repeated)} are given to more than one template: "
                "name each with its own --stack-name"
            )
        self.clouds = [
            LocalCloud(replace(config, part_of_group=True, parameter_overrides={}))
            for config in configs
        ]
        self._overrides = [config.parameter_overrides for config in configs]
        self._templates = [config.template for config in configs]
        self.emulator: Emulator | None = None
        self.services: LocalServices | None = None

    @property
    def config(self) -> LocalCloudConfig:
        return self.clouds[0].config

    def start(self, emulator: Emulator | None = None) -> float:
        started = time.monotonic()
        first = self.config
        use_local_credentials(first.region)
        try:
            self._share_parameter_overrides()
            self.emulator = emulator or start_emulator(first.host, first.emulator_port)
            self.emulator.wait_ready()
            for cloud in self.clouds:
                self._start_after_the_others(cloud)
            self._check_env_vars()
            self._start_services(self.emulator)
        except BaseException:
            self.stop()
            if emulator is not None:
                emulator.stop()
            raise
        return time.monotonic() - started

    def stop(self) -> None:
        if self.services is not None:
            self.services.stop()
            self.services = None
        for cloud in reversed(self.clouds):
            cloud.stop()
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None

    def _share_parameter_overrides(self) -> None:
        """Each override goes to every template that declares the parameter."""
        declared = [set(_parsed(template).get("Parameters") or {}) for template in self._templates]
        given = {name: value for overrides in self._overrides for name, value in overrides.items()}
        unknown = sorted(set(given) - set().union(*declared))
        if unknown:
            raise TemplateError(
                f"Parameter overrides name unknown parameters: {', '.join(unknown)} "
                "(no template of the run declares them)"
            )
        for cloud, names in zip(self.clouds, declared, strict=True):
            cloud.config.parameter_overrides = {n: v for n, v in given.items() if n in names}

    def _start_after_the_others(self, cloud: LocalCloud) -> None:
        exports: dict[str, str] = {}
        for earlier in self.clouds[: self.clouds.index(cloud)]:
            stack = earlier.stack
            assert stack is not None
            for name, value in earlier.exports().items():
                if name in exports:
                    raise TemplateError(
                        f"Export with name {name} is already exported by another stack "
                        f"of the run (stack {stack.name} exports it too)"
                    )
                exports[name] = value
            cloud.config.shared_user_pools.update(
                {f"{stack.name}/{key}": pool for key, pool in stack.user_pools.items()}
            )
        cloud.config.imports = exports
        try:
            cloud.start(self.emulator)
        except TemplateError as error:
            raise TemplateError(
                f"Stack {cloud.config.stack_name} ({cloud.config.template}): {error}"
            ) from None

    def _check_env_vars(self) -> None:
        env_vars = self.config.env_vars
        named: set[str] = set()
        for cloud in self.clouds:
            stack = cloud.stack
            assert stack is not None
            by_name = {spec.name for spec in stack.functions.values()}
            named |= {key for key in env_vars if key in stack.functions or key in by_name}
        stacks = ", ".join(cloud.config.stack_name for cloud in self.clouds)
        refuse_unknown_functions(env_vars, named, stacks)

    def _start_services(self, emulator: Emulator) -> None:
        if not emulator.is_embedded:
            return
        self.services = LocalServices(
            {
                "lambda": LambdaApi(lambda: self.clouds),
                "cloudformation": CloudFormationApi(
                    lambda: [running for cloud in self.clouds for running in cloud.running_stacks()]
                ),
            },
            self.config.host,
        )
        self.services.start(emulator)


def _parsed(template: Path) -> dict[str, Any]:
    try:
        return parse_template(template.read_text())
    except OSError as error:
        raise TemplateError(f"{template}: cannot be read ({error.strerror})") from None
    except TemplateError as error:
        raise TemplateError(f"{template}: {error}") from None
