"""Every function of the template counts its cold starts (the dashboard's Cold starts panel)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from support.in_process_saga import resources_of_type

FUNCTIONS = resources_of_type("AWS::Serverless::Function")


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_the_functions_entry_point_publishes_metrics_with_its_cold_starts(logical_id: str) -> None:
    module_name, _, function_name = FUNCTIONS[logical_id]["Handler"].rpartition(".")
    module = importlib.import_module(module_name)
    entry_point = getattr(module, function_name)

    source = inspect.getsource(inspect.getmodule(inspect.unwrap(entry_point)) or module)

    assert "@metrics.log_metrics\ndef lambda_handler" in source
