"""The ids an invocation carries: its request id a random (version 4) UUID as Lambda's
are, and its `_X_AMZN_TRACE_ID` keeping the caller's trace root with a parent of its own."""

from __future__ import annotations

import re
import uuid

from localcloud.lambda_.invoker import lambda_trace_id, new_request_id

TRACE_ID = re.compile(r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$")


def test_request_ids_are_distinct_version_4_uuids_in_their_canonical_text() -> None:
    ids = [new_request_id() for _ in range(20_000)]

    assert len(set(ids)) == len(ids)
    for request_id in ids:
        parsed = uuid.UUID(request_id)
        assert str(parsed) == request_id
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_a_trace_id_keeps_the_callers_root_and_makes_one_when_there_is_none() -> None:
    caller = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

    kept = lambda_trace_id(caller)
    made = {lambda_trace_id(None) for _ in range(1000)}
    malformed = lambda_trace_id("Root=not-a-root")

    assert kept.startswith("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=")
    assert kept != lambda_trace_id(caller)  # a parent segment of each invocation's own
    assert len(made) == 1000
    assert all(TRACE_ID.match(trace_id) for trace_id in [kept, *made, malformed])
    assert "not-a-root" not in malformed
