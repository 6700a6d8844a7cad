"""The gate over a list of templates: each built, checked and run, with a line of
progress per step and per function, and a summary."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from localcloud.cloudformation.template import parse_template
from localcloud.emulator.process import LOCAL_CREDENTIALS, Emulator, free_port, start_emulator

from .built_stack import FUNCTION, BuiltStack, built_stack
from .invocations import InvocationCheck, check_invocations, provisioned
from .layout_comparison import layout_problems
from .runtimes import (
    REPO_ROOT,
    RuntimeUnavailableError,
    runtime_interpreter,
)
from .sam_build import sam_build
from .static_checks import service_package_problems, wheel_tag_problems


@dataclass(frozen=True)
class GateSettings:
    sam: Path
    build_root: Path


class Gate:
    def __init__(self, settings: GateSettings, out: TextIO) -> None:
        self.settings = settings
        self.out = out
        self.failures: list[str] = []
        self.functions_run = 0
        self._emulator: Emulator | None = None

    def run(self, templates: Iterable[Path]) -> int:
        started = time.monotonic()
        try:
            for template in templates:
                self._check_template(template)
        finally:
            if self._emulator is not None:
                self._emulator.stop()
        self._summary(time.monotonic() - started)
        return 1 if self.failures else 0

    def _check_template(self, template: Path) -> None:
        self._say(f"== {_shown(template)}")
        self._template = _shown(template)
        try:
            interpreters = [runtime_interpreter(name) for name in _runtimes(template)]
        except RuntimeUnavailableError as error:
            self._fail("runtime", str(error))
            return
        build_dir = self.settings.build_root / _build_name(template)
        build = sam_build(self.settings.sam, template, build_dir, interpreters)
        if not build.ok:
            self._fail("sam build", f"failed ({build.seconds:.1f} s)", build.failure_text())
            return
        self._pass("sam build", f"{build.seconds:.1f} s into {_shown(build_dir)}")
        built = built_stack(template, build_dir)
        self._static_checks(built)
        self._layout_comparison(built, build_dir.with_name(f"{build_dir.name}-local"))
        self._invocations(built, build_dir.name)

    def _static_checks(self, built: BuiltStack) -> None:
        counted = f"{len(built.functions)} functions, {len(built.layers)} layers"
        for check, problems in (
            ("wheel tags", list(wheel_tag_problems(built))),
            ("service packages", list(service_package_problems(built))),
        ):
            if problems:
                self._fail(check, f"{len(problems)} problem(s)", "\n".join(problems))
            else:
                self._pass(check, counted)

    def _layout_comparison(self, built: BuiltStack, local_build_dir: Path) -> None:
        started = time.monotonic()
        problems = list(layout_problems(built, local_build_dir))
        if problems:
            self._fail("local builder", "lays artifacts out unlike sam build", "\n".join(problems))
        else:
            artifacts = len(built.functions) + len(built.layers)
            self._pass(
                "local builder",
                f"the same files as sam build in all {artifacts} artifacts "
                f"({time.monotonic() - started:.1f} s)",
            )

    def _invocations(self, built: BuiltStack, stack_name: str) -> None:
        endpoint_url = self._emulator_url()
        stack = provisioned(built, endpoint_url, f"gate-{stack_name}")
        with tempfile.TemporaryDirectory(prefix="deploy-gate-probe-") as probe_dir:
            for check in check_invocations(built, stack, endpoint_url, Path(probe_dir)):
                self.functions_run += check.logical_id in stack.functions
                self._report(check)

    def _emulator_url(self) -> str:
        if self._emulator is None:
            # The provisioning's own AWS clients sign with these, never a developer's keys.
            os.environ.update(LOCAL_CREDENTIALS)
            self._emulator = start_emulator(port=free_port())
        return self._emulator.endpoint_url

    def _report(self, check: InvocationCheck) -> None:
        what = f"{check.logical_id} [{check.source}] {check.handler}"
        if check.ok:
            self._pass(what, check.outcome)
        else:
            self._fail(what, check.outcome, check.detail)

    def _pass(self, what: str, outcome: str) -> None:
        self._say(f"   ok    {what}: {outcome}")

    def _fail(self, what: str, outcome: str, detail: str = "") -> None:
        self.failures.append(f"{self._template}: {what}: {outcome}")
        self._say(f"   FAIL  {what}: {outcome}")
        for line in detail.splitlines():
            self._say(f"         | {line}")

    def _summary(self, seconds: float) -> None:
        verdict = "FAILED" if self.failures else "passed"
        self._say(
            f"deploy gate {verdict}: {self.functions_run} functions imported and invoked, "
            f"{len(self.failures)} failure(s), {seconds:.0f} s"
        )
        for failure in self.failures:
            self._say(f"  - {failure}")

    def _say(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def _runtimes(template: Path) -> list[str]:
    source: dict[str, Any] = parse_template(template.read_text())
    function_globals = (source.get("Globals") or {}).get("Function") or {}
    names = {function_globals.get("Runtime")} | {
        (resource.get("Properties") or {}).get("Runtime")
        for resource in source["Resources"].values()
        if resource.get("Type") == FUNCTION
    }
    return sorted(name for name in names if isinstance(name, str))


def _build_name(template: Path) -> str:
    """A template.yaml is named after its folder ("main" at the root), others by their stem."""
    if template.stem != "template":
        return template.stem
    return "main" if template.parent == REPO_ROOT else template.parent.name


def _shown(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)
