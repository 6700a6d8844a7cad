"""The deploy gate's own tests run `sam build`: `make validate` runs them (`-m
deploy_gate`); a plain `pytest` run, as `make test`, skips them."""

from __future__ import annotations

import pytest

MARKER = "deploy_gate"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if MARKER in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="runs sam build: `make validate` runs it")
    for item in items:
        if item.get_closest_marker(MARKER):
            item.add_marker(skip)
