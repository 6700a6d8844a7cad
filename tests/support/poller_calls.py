"""What a poller under test calls: its waits at the emulator and its AWS operations."""

from __future__ import annotations

import uuid
from typing import Any

import pytest


def calls_of(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> list[tuple[Any, ...]]:
    """The arguments of every call of `owner.name` that has returned, from now on."""
    returned: list[tuple[Any, ...]] = []
    original = getattr(owner, name)

    def counted(self: Any, *args: Any) -> Any:
        result = original(self, *args)
        returned.append(args)
        return result

    monkeypatch.setattr(owner, name, counted)
    return returned


def aws_calls(client: Any, request: pytest.FixtureRequest) -> list[str]:
    """The names of the operations `client` calls from now on, until the test ends."""
    made: list[str] = []
    unique_id = str(uuid.uuid4())
    client.meta.events.register(
        "before-call.*.*", lambda model, **_: made.append(model.name), unique_id=unique_id
    )
    request.addfinalizer(
        lambda: client.meta.events.unregister("before-call.*.*", unique_id=unique_id)
    )
    return made
