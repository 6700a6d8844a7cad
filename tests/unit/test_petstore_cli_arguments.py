"""`petstore up` takes template parameters as `sam deploy --parameter-overrides` does."""

from __future__ import annotations

from pathlib import Path

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


def test_up_debugs_the_function_named_on_the_port_given_or_debugpys_default() -> None:
    debugged = _parser().parse_args(["up", "--debug", "PlaceOrderFunction", "--debug-port", "5700"])
    default = _parser().parse_args(["up", "--debug", "PlaceOrderFunction"])

    assert (debugged.debug, debugged.debug_port) == ("PlaceOrderFunction", 5700)
    assert default.debug_port == 5678
    assert _parser().parse_args(["up"]).debug is None


def test_up_takes_an_env_vars_file_and_sams_long_parameter_form(tmp_path: Path) -> None:
    args = _parser().parse_args(
        [
            "up",
            "--env-vars",
            str(tmp_path / "env.json"),
            "--parameter-overrides",
            "ParameterKey=LogLevel,ParameterValue=DEBUG",
        ]
    )

    assert args.env_vars == tmp_path / "env.json"
    assert dict(args.parameter_overrides) == {"LogLevel": "DEBUG"}


def test_port_zero_picks_a_free_port_the_cloud_then_uses() -> None:
    args = _parser().parse_args(["up", "--port", "0", "--emulator-port", "0"])

    assert 1024 <= args.port <= 65535
    assert 1024 <= args.emulator_port <= 65535


@pytest.mark.parametrize("given", ["-1", "65536", "http"])
def test_a_port_that_is_not_one_is_refused_naming_it(
    given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["up", "--port", given])

    assert exit_info.value.code == 2
    assert "not a port number" in capsys.readouterr().err
