"""The operations tests drive `petstore` commands against the session's local cloud."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import pytest

from localcloud.emulator.access import this_run
from petstore_cli import running_cloud
from support.saga_http import Shop


@pytest.fixture
def cli_state(petstore: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`petstore dlq` and `petstore dashboard` find this test session's local cloud as they
    find the one `petstore up` runs."""
    monkeypatch.setenv("PETSTORE_STATE_FILE", str(tmp_path / "cloud.json"))
    stack = petstore.cloud.stack
    assert stack is not None
    running_cloud.save(
        running_cloud.RunningCloud(
            pid=os.getpid(),
            api_url=petstore.cloud.api_url,
            endpoint_url=petstore.cloud.endpoint_url,
            region=stack.region,
            outputs=stack.outputs,
            access=asdict(this_run()),
        )
    )
