"""Every request the API Gateway emulator answers is one line on the console, as
`sam local start-api` logs them: method, path, status and duration."""

from __future__ import annotations

import io
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.apigateway.authorizers.sigv4 import SigV4Verifier
from localcloud.apigateway.gateway import ApiGateway
from localcloud.emulator.process import free_port
from localcloud.lambda_.logs import LogSink
from localcloud.model import InvocationResult, Route

pytestmark = pytest.mark.integration

ACCESS_LINE = re.compile(r"^API\s* \| (?P<method>\S+) (?P<path>\S+) (?P<status>\d{3}) [\d.]+ ms$")


def failing_or_answering(function: str, event: dict[str, Any], trace: str) -> InvocationResult:
    if function == "Broken":
        return InvocationResult(ok=False, error_type="bdb.BdbQuit", error_message="")
    return InvocationResult(ok=True, payload={"statusCode": 201, "body": "{}"})


@pytest.fixture
def console() -> Iterator[tuple[str, io.StringIO]]:
    terminal = io.StringIO()
    gateway = ApiGateway(
        [Route("POST", "/pets", "AddPet", "NONE"), Route("GET", "/broken", "Broken", "NONE")],
        failing_or_answering,
        stage="dev",
        region="us-east-1",
        account_id="123456789012",
        cognito=None,
        sigv4=SigV4Verifier({}, "us-east-1", "123456789012"),
        port=free_port(),
        log_access=LogSink(stream=terminal, colour=False).access,
    )
    gateway.start()
    try:
        yield gateway.url, terminal
    finally:
        gateway.stop()


def status_of(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_each_answered_request_is_one_line_with_method_path_status_and_duration(
    console: tuple[str, io.StringIO],
) -> None:
    url, terminal = console

    statuses = [
        status_of(urllib.request.Request(f"{url}/pets?token=secret", data=b"{}")),
        status_of(urllib.request.Request(f"{url}/broken")),
        status_of(urllib.request.Request(f"{url}/nowhere", method="DELETE")),
    ]

    assert statuses == [201, 502, 403]
    lines = [ACCESS_LINE.match(line) for line in terminal.getvalue().splitlines()]
    logged = [(m["method"], m["path"], int(m["status"])) for m in lines if m]
    assert logged == [
        ("POST", "/pets", statuses[0]),
        ("GET", "/broken", statuses[1]),
        ("DELETE", "/nowhere", statuses[2]),
    ]
    assert "secret" not in terminal.getvalue()
