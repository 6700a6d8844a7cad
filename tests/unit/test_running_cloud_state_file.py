"""The running local cloud's state file holds its credentials: only its owner reads it."""

from __future__ import annotations

import json
import stat
from dataclasses import asdict
from pathlib import Path

import pytest

from localcloud.emulator.access import EmulatorAccess
from petstore_cli import running_cloud


def test_the_state_file_and_its_folder_are_the_owners_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "local" / "cloud.json"
    monkeypatch.setenv("PETSTORE_STATE_FILE", str(state))
    access = EmulatorAccess.generate()

    running_cloud.save(
        running_cloud.RunningCloud(
            pid=1,
            api_url="",
            endpoint_url="",
            region="us-east-1",
            outputs={},
            access=asdict(access),
        )
    )

    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.parent.stat().st_mode) == 0o700
    assert running_cloud.RunningCloud(**json.loads(state.read_text())).emulator_access() == access


def test_a_state_file_left_readable_by_others_is_made_the_owners_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "cloud.json"
    state.write_text("{}")
    state.chmod(0o644)
    monkeypatch.setenv("PETSTORE_STATE_FILE", str(state))

    running_cloud.save(
        running_cloud.RunningCloud(pid=1, api_url="", endpoint_url="", region="", outputs={})
    )

    assert stat.S_IMODE(state.stat().st_mode) == 0o600
