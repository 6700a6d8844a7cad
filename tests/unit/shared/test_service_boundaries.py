"""Each function's artifact holds its own service's package only (its CodeUri), so no
service may import another one: they talk through events."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"
SERVICES = sorted(path.name for path in FUNCTIONS.iterdir() if (path / path.name).is_dir())


def imported_packages(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(), filename=str(source))
    packages = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            packages |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            packages.add(node.module.split(".")[0])
    return packages


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = set(SERVICES) - {service}

    crossings = {
        str(source.relative_to(FUNCTIONS)): sorted(imported_packages(source) & others)
        for source in (FUNCTIONS / service).rglob("*.py")
        if imported_packages(source) & others
    }

    assert crossings == {}
