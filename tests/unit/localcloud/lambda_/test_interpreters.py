"""A function's Runtime names the interpreter its workers start on."""

from __future__ import annotations

import subprocess

import pytest

from localcloud.lambda_.build.interpreters import (
    InterpreterNotFoundError,
    find_interpreter,
    interpreter_for,
)
from localcloud.model import TemplateError


def test_python313_runtime_finds_a_python_313_interpreter() -> None:
    python = interpreter_for("python3.13", "Fn (function)")

    answer = subprocess.run(
        [str(python), "-I", "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert answer.stdout.strip() == "(3, 13)"
    assert find_interpreter("3.13") == python


def test_a_runtime_without_an_interpreter_here_names_the_function_and_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(InterpreterNotFoundError) as raised:
        interpreter_for("python3.99", "OrdersFunction (function petstore-orders)")

    message = str(raised.value)
    assert message.startswith("OrdersFunction (function petstore-orders): runtime python3.99")
    assert "pyenv install 3.99" in message and "uv python install 3.99" in message
    assert isinstance(raised.value, TemplateError)


def test_a_runtime_that_is_not_python_is_refused() -> None:
    with pytest.raises(TemplateError, match=r"Fn: runtime nodejs22\.x: only Python runtimes"):
        interpreter_for("nodejs22.x", "Fn")
