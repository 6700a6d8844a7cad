"""Fixtures shared by the tests of the local cloud's runtime pieces."""

from __future__ import annotations

import pytest

from localcloud.lambda_.logs import LogSink


@pytest.fixture
def sink() -> LogSink:
    return LogSink(quiet=True)


collect_ignore_glob = ["stack_app/*"]
"""The sample app's own tests run against its running stack (test_stack_on_cloudformation)."""
