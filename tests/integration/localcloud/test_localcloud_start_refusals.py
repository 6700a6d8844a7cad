"""`localcloud up` refuses bad start options with one line naming the fault, exit code 1,
and no traceback: an env.json it cannot use, a parameter the template does not declare."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from localcloud.emulator.process import free_port
from support.petstore_process import LOCALCLOUD, PROJECT

pytestmark = pytest.mark.integration

APP_TEMPLATE = Path(__file__).parent / "stack_app" / "template.yaml"


def _ports() -> list[str]:
    return ["--port", str(free_port()), "--emulator-port", str(free_port())]


def _up(*options: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    return subprocess.run(
        [
            *LOCALCLOUD,
            "up",
            "--template",
            str(APP_TEMPLATE),
            "--no-hot-reload",
            *_ports(),
            *options,
        ],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.mark.timeout(120)
def test_a_malformed_env_vars_file_stops_the_start_naming_it(tmp_path: Path) -> None:
    env_json = tmp_path / "env.json"
    env_json.write_text('{"PlaceOrderFunction": ["QUEUE_URL"]}')

    run = _up("--parameter-overrides", "Environment=dev", "--env-vars", str(env_json))

    assert run.returncode == 1
    assert run.stderr.strip() == (
        f"localcloud: --env-vars {env_json}: 'PlaceOrderFunction' must be an object of "
        "variable names to values"
    )


@pytest.mark.timeout(120)
def test_an_override_of_a_parameter_the_template_does_not_declare_stops_the_start(
    tmp_path: Path,
) -> None:
    run = _up("--parameter-overrides", "Environment=dev Stage=prod")

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "Parameter overrides name unknown parameters: Stage" in run.stderr


@pytest.mark.timeout(120)
def test_env_vars_naming_a_function_the_template_lacks_stop_the_start(tmp_path: Path) -> None:
    env_json = tmp_path / "env.json"
    env_json.write_text('{"OrderFunction": {"LOG_LEVEL": "DEBUG"}}')

    refused = _up(
        "--parameter-overrides",
        "ParameterKey=Environment,ParameterValue=dev",
        "--env-vars",
        str(env_json),
    )

    assert "Traceback" not in refused.stderr
    assert refused.returncode == 1
    assert "--env-vars: OrderFunction names no function of the stack local" in refused.stderr
