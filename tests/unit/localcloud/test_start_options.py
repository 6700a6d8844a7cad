"""What `localcloud up` (and `petstore up`) take at start, in SAM's syntax: parameter
overrides as `sam deploy` writes them, and an env.json as `sam local --env-vars` reads it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localcloud.console import _parser
from localcloud.lambda_.env_vars import (
    EnvVarsError,
    apply_env_vars,
    load_env_vars,
    refuse_unknown_functions,
)
from localcloud.model import FunctionSpec, Stack


def _overrides(*arguments: str) -> dict[str, str]:
    return dict(
        _parser().parse_args(["up", "--parameter-overrides", *arguments]).parameter_overrides
    )


def test_overrides_in_one_quoted_argument_as_sam_deploy_writes_them() -> None:
    assert _overrides("Stage=test Greeting='hello there'") == {
        "Stage": "test",
        "Greeting": "hello there",
    }


def test_overrides_in_cloudformations_long_form() -> None:
    assert _overrides(
        "ParameterKey=Stage,ParameterValue=test", "ParameterKey=Tags,ParameterValue=a,b"
    ) == {
        "Stage": "test",
        "Tags": "a,b",
    }


def test_overrides_given_twice_add_up() -> None:
    args = _parser().parse_args(
        ["up", "--parameter-overrides", "A=1", "--parameter-overrides", "B=2"]
    )

    assert dict(args.parameter_overrides) == {"A": "1", "B": "2"}


@pytest.mark.parametrize("argument", ["Stage", "=test", "ParameterKey=Stage", "A='unclosed"])
def test_an_override_that_is_not_key_value_is_refused_naming_it(
    argument: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _overrides(argument)

    assert exit_info.value.code == 2
    assert "--parameter-overrides" in capsys.readouterr().err


def _written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "env.json"
    path.write_text(text)
    return path


def test_env_vars_are_read_as_strings_per_function(tmp_path: Path) -> None:
    path = _written(
        tmp_path, json.dumps({"Api": {"LIMIT": 5, "DEBUG": True}, "Parameters": {"STAGE": "t"}})
    )

    assert load_env_vars(path) == {
        "Api": {"LIMIT": "5", "DEBUG": "true"},
        "Parameters": {"STAGE": "t"},
    }


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("{not json", "not valid JSON"),
        ('["Api"]', "must hold an object of function logical ids"),
        ('{"Api": "LIMIT=5"}', "'Api' must be an object of variable names to values"),
        ('{"Api": {"LIMIT": {"max": 5}}}', "Api.LIMIT must be a string, number or boolean"),
    ],
)
def test_a_malformed_env_vars_file_is_refused_naming_the_file_and_the_fault(
    tmp_path: Path, text: str, complaint: str
) -> None:
    path = _written(tmp_path, text)

    with pytest.raises(EnvVarsError) as refused:
        load_env_vars(path)

    assert str(path) in str(refused.value)
    assert complaint in str(refused.value)


def test_a_missing_env_vars_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(EnvVarsError, match=r"missing\.json: cannot be read"):
        load_env_vars(tmp_path / "missing.json")


def _stack() -> Stack:
    stack = Stack(name="app", region="us-east-1", account_id="123456789012", api_stage="Prod")
    for logical_id, environment in (("Api", {"STAGE": "prod", "LIMIT": "1"}), ("Worker", {})):
        stack.functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=f"app-{logical_id}",
            code_dir=Path("."),
            handler="app.handler",
            layer_dirs=(),
            environment=environment,
            timeout_s=3,
            memory_mb=128,
            runtime="python3.13",
            arn=f"arn:aws:lambda:us-east-1:123456789012:function:app-{logical_id}",
        )
    return stack


def test_env_vars_override_what_the_template_declares_function_over_parameters() -> None:
    stack = _stack()

    apply_env_vars(
        stack, {"Parameters": {"STAGE": "test", "LIMIT": "2"}, "app-Api": {"LIMIT": "3"}}
    )

    assert stack.functions["Api"].environment == {"STAGE": "test", "LIMIT": "3"}
    assert stack.functions["Worker"].environment == {}
    assert stack.ignored == []


def test_a_variable_the_template_does_not_declare_is_listed_as_ignored_locally() -> None:
    stack = _stack()

    apply_env_vars(stack, {"Worker": {"EXTRA": "x"}, "Parameters": {"NOWHERE": "y"}})

    assert stack.functions["Worker"].environment == {}
    assert stack.ignored == [
        "Parameters: --env-vars variable NOWHERE: ignored locally — no function of the "
        "template declares it (as sam local)",
        "Worker: --env-vars variable EXTRA: ignored locally — the template does not declare "
        "it for this function (as sam local)",
    ]


def test_env_vars_naming_no_function_of_the_stack_are_refused_naming_it() -> None:
    env_vars = {"Nope": {"A": "1"}, "Api": {"LIMIT": "2"}, "Parameters": {"STAGE": "x"}}
    named = apply_env_vars(_stack(), env_vars)

    with pytest.raises(EnvVarsError, match=r"Nope names no function of the stack app"):
        refuse_unknown_functions(env_vars, named, "app")
