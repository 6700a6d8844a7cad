"""The Lambda API on the emulator's endpoint, routed to the local invoker: boto3's lambda
client (and so `aws lambda invoke`) works against the local cloud as against AWS."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import free_port
from localcloud.lambda_.env_vars import load_env_vars
from support.waiting import wait_until

pytestmark = pytest.mark.integration

APP = Path(__file__).parents[1] / "stack_app"
STACK = "invoked"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    started = LocalCloud(
        LocalCloudConfig(
            template=APP / "template.yaml",
            stack_name=STACK,
            api_port=free_port(),
            emulator_port=free_port(),
            parameter_overrides={"Environment": "dev"},
            env_vars=load_env_vars(APP / "env.json"),
            monitoring=None,
            quiet=True,
        )
    )
    started.start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def lambda_client(cloud: LocalCloud) -> Any:
    return boto3.client("lambda", endpoint_url=cloud.endpoint_url, region_name="us-east-1")


def _queued(cloud: LocalCloud) -> int:
    assert cloud.stack is not None
    attributes = boto3.client("sqs", endpoint_url=cloud.endpoint_url).get_queue_attributes(
        QueueUrl=cloud.stack.physical_ids["OrdersQueue"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def _stored(cloud: LocalCloud, order_id: str) -> dict[str, Any] | None:
    assert cloud.stack is not None
    table = boto3.resource("dynamodb", endpoint_url=cloud.endpoint_url).Table(
        cloud.stack.physical_ids["OrdersTable"]
    )
    item: dict[str, Any] | None = table.get_item(Key={"orderId": order_id}).get("Item")
    return item


def _place(order_id: str) -> bytes:
    return json.dumps({"body": json.dumps({"orderId": order_id})}).encode()


def test_a_request_response_invoke_returns_the_handlers_result(lambda_client: Any) -> None:
    answer = lambda_client.invoke(FunctionName=f"{STACK}-PlaceOrderFunction", Payload=_place("o-1"))

    assert answer["StatusCode"] == 200
    assert answer["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in answer
    result = json.loads(answer["Payload"].read())
    assert result["statusCode"] == 202
    assert json.loads(result["body"]) == {"orderId": "o-1"}


@pytest.mark.parametrize(
    "name",
    [
        f"{STACK}-GetOrderFunction",
        f"{STACK}-GetOrderFunction:$LATEST",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{STACK}-GetOrderFunction",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{STACK}-GetOrderFunction:$LATEST",
        f"{ACCOUNT}:function:{STACK}-GetOrderFunction",
        f"{STACK}-GetOrderFunction:live",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{STACK}-GetOrderFunction:1",
    ],
)
def test_a_function_is_found_by_name_arn_partial_arn_and_latest_qualifier(
    lambda_client: Any, name: str
) -> None:
    answer = lambda_client.invoke(
        FunctionName=name, Payload=json.dumps({"pathParameters": {"orderId": "none"}})
    )

    assert answer["StatusCode"] == 200
    assert json.loads(answer["Payload"].read())["statusCode"] == 404


@pytest.mark.parametrize(
    ("name", "qualifier", "arn"),
    [
        ("nope", None, f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:nope"),
        (f"{STACK}-GetOrderFunction", "dead", f"function:{STACK}-GetOrderFunction:dead"),
        (f"{STACK}-BrokenFunction:live", None, f"function:{STACK}-BrokenFunction:live"),
        (f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{STACK}-GetOrderFunction", None, ""),
    ],
)
def test_an_unknown_function_or_qualifier_is_resource_not_found_as_aws_answers(
    lambda_client: Any, name: str, qualifier: str | None, arn: str
) -> None:
    options = {"Qualifier": qualifier} if qualifier else {}

    with pytest.raises(ClientError) as refused:
        lambda_client.invoke(FunctionName=name, Payload=b"{}", **options)

    error = refused.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["Error"]["Message"].startswith("Function not found: arn:aws:lambda:")
    assert error["Error"]["Message"].endswith(arn)


def test_get_function_of_an_unknown_function_is_resource_not_found(lambda_client: Any) -> None:
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function(FunctionName="nope")


def test_an_event_invoke_is_accepted_with_202_and_runs_the_function(
    cloud: LocalCloud, lambda_client: Any
) -> None:
    answer = lambda_client.invoke(
        FunctionName=f"{STACK}-PlaceOrderFunction",
        InvocationType="Event",
        Payload=_place("o-event"),
    )

    assert answer["StatusCode"] == 202
    assert answer["Payload"].read() == b""
    stored = wait_until(lambda: _stored(cloud, "o-event"), timeout_s=30, what="the queued order")
    assert stored["environment"] == "from-env-json"


def test_a_dry_run_checks_the_function_with_204_and_runs_nothing(
    cloud: LocalCloud, lambda_client: Any
) -> None:
    wait_until(lambda: _queued(cloud) == 0, timeout_s=30, what="an empty queue")

    answer = lambda_client.invoke(
        FunctionName=f"{STACK}-PlaceOrderFunction", InvocationType="DryRun", Payload=_place("dry")
    )

    assert answer["StatusCode"] == 204
    assert _queued(cloud) == 0
    assert _stored(cloud, "dry") is None


def test_a_handler_that_raises_gives_an_unhandled_function_error_with_its_payload(
    lambda_client: Any,
) -> None:
    answer = lambda_client.invoke(
        FunctionName=f"{STACK}-BrokenFunction", Payload=json.dumps({"what": "apples"})
    )

    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "cannot handle apples"
    assert isinstance(error["stackTrace"], list)
    assert "LogResult" not in answer


def test_log_type_tail_returns_the_invocations_log_base64_encoded(lambda_client: Any) -> None:
    answer = lambda_client.invoke(
        FunctionName=f"{STACK}-BrokenFunction", Payload=b"{}", LogType="Tail"
    )

    log = base64.b64decode(answer["LogResult"]).decode()
    request_id = answer["ResponseMetadata"]["RequestId"]
    lines = log.splitlines()
    assert lines[0].startswith(f"START RequestId: {request_id}")
    assert "about to fail" in lines
    assert lines[-1].startswith(f"REPORT RequestId: {request_id}")
    assert len(answer["LogResult"]) <= 4096 * 4 / 3 + 4


def test_a_payload_that_is_not_json_is_refused_as_aws_refuses_it(lambda_client: Any) -> None:
    with pytest.raises(ClientError) as refused:
        lambda_client.invoke(FunctionName=f"{STACK}-BrokenFunction", Payload=b"{not json")

    assert refused.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_list_functions_and_get_function_describe_the_stacks_functions(
    lambda_client: Any,
) -> None:
    listed = lambda_client.list_functions()["Functions"]
    function = lambda_client.get_function(FunctionName=f"{STACK}-GetOrderFunction")
    configuration = lambda_client.get_function_configuration(
        FunctionName=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{STACK}-GetOrderFunction"
    )

    assert sorted(f["FunctionName"] for f in listed) == [
        f"{STACK}-BrokenFunction",
        f"{STACK}-GetOrderFunction",
        f"{STACK}-PlaceOrderFunction",
        f"{STACK}-StoreOrderFunction",
    ]
    configuration.pop("ResponseMetadata")
    assert function["Configuration"] == configuration
    assert configuration["FunctionArn"] == (
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{STACK}-GetOrderFunction"
    )
    assert configuration["Runtime"] == "python3.13"
    assert configuration["Handler"] == "app.get_order"
    assert configuration["Timeout"] == 10
    assert configuration["State"] == "Active"
    assert configuration["Environment"]["Variables"]["LOG_LEVEL"] == "DEBUG"
    assert configuration["Environment"]["Variables"]["ENVIRONMENT"] == "from-env-json"


def test_list_functions_pages_with_max_items_and_marker(lambda_client: Any) -> None:
    first = lambda_client.list_functions(MaxItems=3)
    second = lambda_client.list_functions(MaxItems=3, Marker=first["NextMarker"])

    names = [f["FunctionName"] for f in first["Functions"] + second["Functions"]]
    assert len(first["Functions"]) == 3
    assert "NextMarker" not in second
    assert len(set(names)) == 4


def test_list_event_source_mappings_shows_the_queue_feeding_its_consumer(
    cloud: LocalCloud, lambda_client: Any
) -> None:
    queue_arn = boto3.client("sqs", endpoint_url=cloud.endpoint_url).get_queue_attributes(
        QueueUrl=cloud.stack.physical_ids["OrdersQueue"] if cloud.stack else "",
        AttributeNames=["QueueArn"],
    )["Attributes"]["QueueArn"]

    every = lambda_client.list_event_source_mappings()["EventSourceMappings"]
    by_function = lambda_client.list_event_source_mappings(
        FunctionName=f"{STACK}-StoreOrderFunction"
    )["EventSourceMappings"]
    other = lambda_client.list_event_source_mappings(FunctionName=f"{STACK}-BrokenFunction")

    assert [(m["EventSourceArn"], m["BatchSize"], m["State"]) for m in every] == [
        (queue_arn, 5, "Enabled")
    ]
    assert by_function == every
    assert other["EventSourceMappings"] == []
    fetched = lambda_client.get_event_source_mapping(UUID=every[0]["UUID"])
    assert fetched["FunctionArn"].endswith(f":function:{STACK}-StoreOrderFunction")


def test_a_call_without_the_runs_credentials_is_refused(cloud: LocalCloud) -> None:
    stranger = boto3.client(
        "lambda",
        endpoint_url=cloud.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="AKIASTRANGER0000",
        aws_secret_access_key="not-the-runs-secret",
    )

    with pytest.raises(ClientError) as refused:
        stranger.list_functions()

    assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_only_the_local_cloud_may_say_where_lambda_calls_go(
    cloud: LocalCloud, lambda_client: Any
) -> None:
    """Redirecting the Lambda API needs the run's control secret, as every address of
    the local cloud's own on the emulator does."""
    redirected = requests.put(
        f"{cloud.endpoint_url}/_localcloud/fronts",
        json={"lambda": "http://127.0.0.1:9"},
        timeout=10,
    )

    assert redirected.status_code == 403
    assert lambda_client.get_function(FunctionName=f"{STACK}-BrokenFunction")["Configuration"]


@pytest.mark.timeout(120)
def test_the_aws_cli_invokes_a_function_and_describes_the_stack(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    aws = str(Path(sys.executable).with_name("aws"))
    environment = {
        **os.environ,
        "AWS_ENDPOINT_URL": cloud.endpoint_url,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = tmp_path / "result.json"

    invoked = subprocess.run(
        [
            aws,
            "lambda",
            "invoke",
            "--function-name",
            f"{STACK}-BrokenFunction",
            str(result),
            "--payload",
            '{"what": "pears"}',
            "--log-type",
            "Tail",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    described = subprocess.run(
        [aws, "cloudformation", "describe-stacks", "--stack-name", STACK],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    answer = json.loads(invoked.stdout)
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    assert "about to fail" in base64.b64decode(answer["LogResult"]).decode()
    assert json.loads(result.read_text())["errorMessage"] == "cannot handle pears"
    assert json.loads(described.stdout)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
