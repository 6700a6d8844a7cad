"""A data store that is down, hung or throttling is the service's problem for a moment,
not the client's mistake and not a bug: 503 with Retry-After, in the shared error shape,
and soon enough that the function is not killed first."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from petstore_shared import aws_clients
from petstore_shared.http_errors import RETRY_AFTER_S
from petstore_shared.rest_api import create_rest_resolver

TEMPLATE = Path(__file__).resolve().parents[3] / "template.yaml"
ENDPOINT = "http://127.0.0.1:4566"

app = create_rest_resolver()
raised: dict[str, Exception] = {}


@app.get("/raise")
def raise_the_configured_error() -> dict[str, str]:
    raise raised["error"]


def _get() -> tuple[int, dict[str, Any], dict[str, Any]]:
    event = {
        "httpMethod": "GET",
        "path": "/raise",
        "resource": "/raise",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"requestId": "test", "stage": "test"},
        "body": None,
        "isBase64Encoded": False,
    }
    result = app.resolve(event, LambdaContext())
    headers = {**result.get("headers", {}), **result.get("multiValueHeaders", {})}
    return result["statusCode"], headers, json.loads(result["body"])


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "PutItem")


def _caused_by(cause: Exception) -> Exception:
    try:
        raise IdempotencyPersistenceLayerError("Failed to save the record") from cause
    except IdempotencyPersistenceLayerError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    "error",
    [
        EndpointConnectionError(endpoint_url=ENDPOINT),
        ConnectTimeoutError(endpoint_url=ENDPOINT),
        ReadTimeoutError(endpoint_url=ENDPOINT),
        ConnectionClosedError(endpoint_url=ENDPOINT),
        _client_error("ProvisionedThroughputExceededException"),
        _client_error("ThrottlingException"),
        _client_error("RequestLimitExceeded"),
        _client_error("InternalServerError"),
        _caused_by(EndpointConnectionError(endpoint_url=ENDPOINT)),
    ],
    ids=lambda error: type(error).__name__,
)
def test_an_unreachable_hung_or_throttling_store_is_503_with_retry_after(
    error: Exception,
) -> None:
    raised["error"] = error

    status, headers, body = _get()

    assert status == 503
    assert headers["Retry-After"] in (str(RETRY_AFTER_S), [str(RETRY_AFTER_S)])
    assert body["error"]["code"] == "ServiceUnavailable"
    assert ENDPOINT not in json.dumps(body)


@pytest.mark.parametrize(
    "error",
    [_client_error("ValidationException"), _client_error("AccessDeniedException"), KeyError("x")],
    ids=lambda error: type(error).__name__,
)
def test_other_unexpected_errors_stay_500(error: Exception) -> None:
    raised["error"] = error

    status, headers, body = _get()

    assert status == 500
    assert "Retry-After" not in headers
    assert body["error"]["code"] == "InternalError"


def test_a_hung_store_fails_every_call_before_the_function_times_out() -> None:
    template = yaml.load(TEMPLATE.read_text(), Loader=_CloudFormationLoader)
    function_timeout_s = template["Globals"]["Function"]["Timeout"]
    backoff_allowance_s = 0.5

    worst_case_s = aws_clients.MAX_ATTEMPTS * (
        aws_clients.CONNECT_TIMEOUT_S + aws_clients.READ_TIMEOUT_S
    )

    assert worst_case_s + backoff_allowance_s < function_timeout_s


def test_the_clients_use_the_bounded_timeouts_and_attempts() -> None:
    config: Any = aws_clients.dynamodb_client().meta.config

    assert config.connect_timeout == aws_clients.CONNECT_TIMEOUT_S
    assert config.read_timeout == aws_clients.READ_TIMEOUT_S
    assert config.retries["total_max_attempts"] == aws_clients.MAX_ATTEMPTS


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !GetAtt...) read as plain values."""


def _tagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_CloudFormationLoader.add_multi_constructor("!", _tagged)
