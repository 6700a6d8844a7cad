"""The deploy gate's own tests run `sam build`: `make validate` runs them (`-m
deploy_gate`); a plain `pytest` run, as `make test`, leaves them out (deselected,
not skipped: they are not waiting on anything, they run in another target)."""

from __future__ import annotations

import pytest

MARKER = "deploy_gate"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if MARKER in (config.getoption("markexpr") or ""):
        return
    deselected = [item for item in items if item.get_closest_marker(MARKER)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker(MARKER)]
