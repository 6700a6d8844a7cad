"""What a layer ships is what the tests ran against: every pin in a layer's requirements
file names the version uv.lock resolves for the project's own environment."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LAYER_REQUIREMENTS = [
    REPO_ROOT / "layers" / "shared" / "requirements.txt",
    REPO_ROOT / "infrastructure" / "kafka" / "layer" / "requirements.txt",
    REPO_ROOT / "infrastructure" / "rabbitmq" / "layer" / "requirements.txt",
]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;#]+)")


def _locked_versions() -> dict[str, str]:
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    return {_normalized(package["name"]): package["version"] for package in lock["package"]}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(requirements: Path) -> list[tuple[str, str]]:
    lines = (line.strip() for line in requirements.read_text().splitlines())
    matches = (PIN.match(line) for line in lines if line and not line.startswith("#"))
    return [(_normalized(match[1]), match[2]) for match in matches if match]


@pytest.mark.parametrize("requirements", LAYER_REQUIREMENTS, ids=lambda path: path.parent.name)
def test_every_layer_pin_is_the_locked_version(requirements: Path) -> None:
    locked = _locked_versions()
    pins = _pins(requirements)

    assert pins, f"{requirements} pins nothing"
    for name, version in pins:
        assert locked.get(name) == version, (
            f"{requirements}: {name}=={version}, uv.lock {locked.get(name)}"
        )
