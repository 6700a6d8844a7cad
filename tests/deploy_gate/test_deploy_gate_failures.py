"""The deploy gate fails, with the reason in its output, on the failures found on the
old main: a layer's package nested one python/ too deep, a dependency with no wheel
for the runtime, and a function artifact carrying another service's package."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.deploy_gate

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")
SAM = REPO_ROOT / ".venv-sam" / "bin" / "sam"
FIND_PYTHON = REPO_ROOT / "infrastructure" / "tools" / "find-python"


@dataclass(frozen=True)
class GateRun:
    exit_code: int
    output: str


def run_gate(fixture: str, build_root: Path) -> GateRun:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "infrastructure.deploy_gate",
            "--sam",
            str(SAM),
            "--build-root",
            str(build_root),
            str(FIXTURES / fixture / "template.yaml"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return GateRun(completed.returncode, completed.stdout + completed.stderr)


def test_a_layer_package_nested_under_python_python_fails_its_handlers_import(
    tmp_path: Path,
) -> None:
    gate = run_gate("nested_layer", tmp_path)

    assert gate.exit_code == 1, gate.output
    assert (tmp_path / "nested_layer/NestedLayer/python/python/nested_shared").is_dir()
    assert "FAIL  ReaderFunction" in gate.output
    assert "Runtime.ImportModuleError" in gate.output
    assert "No module named 'nested_shared'" in gate.output
    assert "deploy gate FAILED" in gate.output


def test_a_dependency_without_a_wheel_for_the_runtime_fails_the_build_with_sams_message(
    tmp_path: Path,
) -> None:
    if subprocess.run([FIND_PYTHON, "3.11"], capture_output=True, check=False).returncode:
        pytest.skip("no Python 3.11 here for sam build's python3.11 builder")

    gate = run_gate("kafka_on_python311", tmp_path)

    assert gate.exit_code == 1, gate.output
    assert "FAIL  sam build" in gate.output
    assert "PythonPipBuilder:ResolveDependencies" in gate.output
    assert "confluent-kafka==2.16.1" in gate.output
    assert "Traceback" not in gate.output


def test_a_function_artifact_holding_another_services_package_fails_the_service_check(
    tmp_path: Path,
) -> None:
    gate = run_gate("foreign_service", tmp_path)

    assert gate.exit_code == 1, gate.output
    assert "FAIL  service packages: 2 problem(s)" in gate.output
    assert "AlphaFunction's artifact holds package 'beta', the service of BetaFunction" in (
        gate.output
    )
    assert "BetaFunction's artifact holds package 'alpha', the service of AlphaFunction" in (
        gate.output
    )
