"""Which functions may share a preload: only those that would have imported the same."""

from __future__ import annotations

from localcloud.lambda_.preloads import common_environment, shares

READS = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13", "POWERTOOLS_DEBUG": None}
MODULES = ["botocore", "pydantic", "logging"]


def test_a_function_with_the_values_the_preloaded_imports_read_shares() -> None:
    environment = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13", "TABLE_NAME": "pets"}

    assert shares(READS, MODULES, environment, ["pets", "__pycache__"])


def test_a_function_that_sets_a_variable_the_preloaded_imports_read_unset_does_not() -> None:
    environment = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13", "POWERTOOLS_DEBUG": "1"}

    assert not shares(READS, MODULES, environment, ["pets"])


def test_a_function_with_another_value_of_a_variable_read_does_not() -> None:
    environment = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"}

    assert not shares(READS, MODULES, environment, ["pets"])


def test_a_function_whose_artifact_holds_a_preloaded_module_does_not() -> None:
    environment = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}

    assert not shares(READS, MODULES, environment, ["pets", "pydantic"])
    assert not shares(READS, MODULES, environment, ["logging.py"])


def test_nothing_shares_a_preload_whose_imports_read_the_whole_environment() -> None:
    assert not shares(None, MODULES, {}, [])


def test_the_preload_starts_with_what_every_function_has_with_the_same_value() -> None:
    environments = [
        {"AWS_REGION": "eu-west-1", "TABLE_NAME": "pets", "LOG_LEVEL": "INFO"},
        {"AWS_REGION": "eu-west-1", "TABLE_NAME": "orders", "LOG_LEVEL": "INFO"},
        {"AWS_REGION": "eu-west-1", "TABLE_NAME": "orders"},
    ]

    assert common_environment(environments) == {"AWS_REGION": "eu-west-1"}
    assert common_environment([]) == {}
