"""Fixtures shared by every test tier."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from localcloud.emulator import LOCAL_CREDENTIALS, Emulator, free_port, start_emulator

os.environ.update(LOCAL_CREDENTIALS)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """moto's server on a free port, shared by the whole test session."""
    started = start_emulator(port=free_port())
    yield started
    started.stop()
