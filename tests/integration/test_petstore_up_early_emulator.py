"""`petstore up` launches its AWS emulator before it imports the rest of the command, and
hands it to `up`; an emulator `up` never took is stopped when the command ends. Any start
that is not the plain one (a `--state` folder, an external emulator, help, a port that
is taken or malformed) is left to `up` itself."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator

import pytest

import petstore_cli.main
from localcloud.emulator.process import Emulator, free_port
from petstore_cli import __main__ as entry

pytestmark = pytest.mark.integration


class CommandSeen:
    """Stands in for the `petstore` command: what it was handed."""

    def __init__(self) -> None:
        self.argv: list[str] | None = None
        self.emulator: Emulator | None = None
        self.answering = False

    def __call__(self, argv: list[str], early_emulator: Emulator | None = None) -> int:
        self.argv, self.emulator = argv, early_emulator
        if early_emulator is not None:
            early_emulator.wait_ready()
            self.answering = True
        return 0


@pytest.fixture
def command(monkeypatch: pytest.MonkeyPatch) -> Iterator[CommandSeen]:
    seen = CommandSeen()
    monkeypatch.setattr(petstore_cli.main, "main", seen)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    yield seen
    if seen.emulator is not None:
        seen.emulator.stop()


def run_petstore(monkeypatch: pytest.MonkeyPatch, *arguments: str) -> int:
    monkeypatch.setattr(sys, "argv", ["petstore", *arguments])
    return entry.main()


def test_up_is_handed_an_emulator_on_its_port_which_is_stopped_when_the_command_ends(
    command: CommandSeen, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()

    assert run_petstore(monkeypatch, "up", "--no-seed", "--emulator-port", str(port)) == 0

    assert command.argv == ["up", "--no-seed", "--emulator-port", str(port)]
    assert command.emulator is not None
    assert command.emulator.endpoint_url == f"http://127.0.0.1:{port}"
    assert command.answering
    assert command.emulator.process is not None
    assert command.emulator.process.poll() is not None, "stopped with the command"


@pytest.mark.parametrize(
    "arguments",
    [
        ["up", "--state", "kept"],
        ["up", "--help"],
        ["up", "--emulator-port", "not-a-port"],
        ["up", "--emulator-port"],
        ["logs", "--follow"],
    ],
    ids=["state folder", "help", "malformed port", "port missing", "another command"],
)
def test_any_other_start_is_left_to_the_command(
    command: CommandSeen, monkeypatch: pytest.MonkeyPatch, arguments: list[str]
) -> None:
    run_petstore(monkeypatch, *arguments)

    assert command.argv == arguments
    assert command.emulator is None


def test_an_external_emulator_is_left_to_the_command(
    command: CommandSeen, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")

    run_petstore(monkeypatch, "up", "--emulator-port", str(free_port()))

    assert command.emulator is None


def test_a_taken_port_is_left_for_the_command_to_report(
    command: CommandSeen, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        run_petstore(monkeypatch, "up", "--emulator-port", str(port))

    assert command.emulator is None
