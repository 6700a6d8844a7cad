"""Which functions may share a preload, and which layer modules it imports: only what every
function would have imported the same."""

from __future__ import annotations

from pathlib import Path

from localcloud.lambda_.build.runtime_sdk import default_runtimes_dir, lambda_runtime
from localcloud.lambda_.execution_environment import (
    PER_FUNCTION_VARIABLES,
    function_environment,
    runtime_environment,
)
from localcloud.lambda_.preloads import common_environment, shares
from localcloud.lambda_.worker import reads_what_all_share
from localcloud.model import FunctionSpec

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


def test_a_layer_module_reading_no_variable_a_function_sets_on_its_own_is_preloaded() -> None:
    """The AWS SDK's configuration variables (AWS_CONFIG_FILE, ...), which no function sets,
    read nothing in every function's environment alike."""
    own = frozenset({"POWERTOOLS_SERVICE_NAME", "AWS_LAMBDA_FUNCTION_NAME", "TABLE_NAME"})
    known = {"AWS_EXECUTION_ENV"}

    assert reads_what_all_share({"AWS_CONFIG_FILE": None, "AWS_REGION": "x"}, known, own)
    assert not reads_what_all_share({"POWERTOOLS_SERVICE_NAME": None}, known, own)
    assert not reads_what_all_share({"AWS_CONFIG_FILE": None, "TABLE_NAME": None}, known, own)


def test_where_what_functions_set_is_not_known_a_layer_module_reads_only_what_was_read() -> None:
    known = {"AWS_EXECUTION_ENV"}

    assert reads_what_all_share({"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}, known, None)
    assert not reads_what_all_share({"AWS_CONFIG_FILE": None}, known, None)


def test_what_lambda_sets_per_function_is_what_its_environment_adds_to_the_runtimes() -> None:
    runtime = lambda_runtime("python3.13", "the test", default_runtimes_dir())
    spec = FunctionSpec(
        logical_id="Pets",
        name="stack-Pets",
        code_dir=Path("/tmp/pets"),
        handler="app.handler",
        layer_dirs=(),
        environment={},
        timeout_s=3.0,
        memory_mb=128,
        runtime="python3.13",
        arn="arn:aws:lambda:eu-west-1:123456789012:function:stack-Pets",
    )
    function = function_environment(spec, {}, "stream", runtime)

    assert set(function) - set(runtime_environment({}, runtime, "python3.13", "eu-west-1")) == (
        PER_FUNCTION_VARIABLES
    )
