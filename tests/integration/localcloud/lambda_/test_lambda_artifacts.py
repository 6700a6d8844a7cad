"""Functions run from their built artifacts on the runtime's interpreter: they import
what deploys with them (code, requirements, layers, the runtime's boto3) and nothing
of the developer's virtualenv, so an import that fails on AWS fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import free_port
from localcloud.lambda_.build.runtime_sdk import RUNTIME_SDK

pytestmark = pytest.mark.integration

APP = Path(__file__).parents[1] / "artifact_app"
BUILD = APP / ".local" / "build"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    started = LocalCloud(
        LocalCloudConfig(
            template=APP / "template.yaml",
            stack_name="artifacttest",
            api_port=free_port(),
            emulator_port=free_port(),
            monitoring=None,
            quiet=True,
        )
    )
    started.start()
    yield started
    started.stop()


def test_a_module_outside_the_artifact_is_an_import_module_error_and_a_502(
    cloud: LocalCloud,
) -> None:
    answer = requests.get(f"{cloud.api_url}/missing-module", timeout=30)
    result = cloud.invoke("MissingModuleFunction", {})

    assert answer.status_code == 502
    assert result.error_type == "Runtime.ImportModuleError"
    assert result.error_message == (
        "Unable to import module 'app': No module named 'shared_helpers'"
    )


def test_a_package_only_in_the_projects_virtualenv_is_not_importable(cloud: LocalCloud) -> None:
    answer = requests.get(f"{cloud.api_url}/venv-only", timeout=30)
    result = cloud.invoke("VenvOnlyFunction", {})

    assert answer.status_code == 502
    assert result.error_type == "Runtime.ImportModuleError"
    assert result.error_message == "Unable to import module 'app': No module named 'yaml'"


def test_requirements_layers_and_the_runtimes_packages_are_imported_from_where_lambda_has_them(
    cloud: LocalCloud,
) -> None:
    answer = requests.get(f"{cloud.api_url}/with-requirement", timeout=30)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    artifact = BUILD / "RequirementFunction"
    assert body["task_root"] == str(artifact)
    assert body["six"] == str(artifact / "six.py")
    assert body["greeting"] == "hello Rex"
    assert body["greeting_file"] == str(
        BUILD / "GreetingLayer" / "python" / "greeting_lib" / "__init__.py"
    )
    assert f"boto3=={body['boto3']}" in RUNTIME_SDK["python3.13"]
    runtime_packages = Path(body["boto3_file"]).parents[1]
    assert re.fullmatch(r"python3\.13-[0-9a-f]{12}", runtime_packages.name)
    assert body["snapshot_restore_file"] == str(runtime_packages / "snapshot_restore_py.py")
    assert body["python"] == [3, 13]
