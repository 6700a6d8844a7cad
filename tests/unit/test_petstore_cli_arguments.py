"""`petstore up` takes template parameters as `sam deploy --parameter-overrides` does."""

from __future__ import annotations

import pytest

from petstore_cli.main import _parser


def test_parameter_overrides_become_the_clouds_parameters() -> None:
    args = _parser().parse_args(
        ["up", "--parameter-overrides", "ConsumerVisibilityTimeout=5", "LogLevel=DEBUG"]
    )

    assert dict(args.parameter_overrides) == {
        "ConsumerVisibilityTimeout": "5",
        "LogLevel": "DEBUG",
    }


def test_an_override_without_a_value_is_refused_naming_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["up", "--parameter-overrides", "LogLevel"])

    assert exit_info.value.code == 2
    assert "'LogLevel': write a parameter as KEY=VALUE" in capsys.readouterr().err
