"""The local cloud as a whole, on a small template of its own: the API, auth,
Lambda workers and both kinds of event source mapping working together."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import PortInUseError, free_port
from localcloud.model import TemplateError
from support.waiting import wait_until

pytestmark = pytest.mark.integration

APP_TEMPLATE = Path(__file__).with_name("cloud_app") / "template.yaml"
STACK = "cloudtest"


seen_when_provisioned: list[dict[str, Any]] = []


def _seen_when_provisioned(cloud: LocalCloud) -> None:
    seen_when_provisioned.append(
        {
            "functions": sorted(cloud.stack.functions) if cloud.stack else [],
            "invoker": cloud.invoker is not None,
            "api": cloud.api is not None,
            "pollers": len(cloud._pollers),
        }
    )


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    started = LocalCloud(
        LocalCloudConfig(
            template=APP_TEMPLATE,
            stack_name=STACK,
            api_port=free_port(),
            emulator_port=free_port(),
            parameter_overrides={"Greeting": "hi"},
            quiet=True,
        )
    )
    started.when_provisioned(_seen_when_provisioned)
    started.start()
    yield started
    started.stop()


def _physical(cloud: LocalCloud, logical_id: str) -> str:
    assert cloud.stack is not None
    return cloud.stack.physical_ids[logical_id]


def test_what_runs_once_provisioned_has_the_functions_before_the_api_and_pollers(
    cloud: LocalCloud,
) -> None:
    """Where `petstore up` begins taking snapshots: they need the functions alone."""
    assert cloud.stack is not None
    expected = {"functions": sorted(cloud.stack.functions), "invoker": True, "api": False}
    assert seen_when_provisioned == [{**expected, "pollers": 0}]
    assert cloud.api is not None and cloud._pollers


def test_handler_sees_environment_resolved_from_ref_getatt_and_sub(cloud: LocalCloud) -> None:
    answer = requests.get(f"{cloud.api_url}/environment", timeout=30)

    assert answer.status_code == 200
    seen = answer.json()
    stream_arn = boto3.client("dynamodb", endpoint_url=cloud.endpoint_url).describe_table(
        TableName=_physical(cloud, "ItemsTable")
    )["Table"]["LatestStreamArn"]
    assert seen["TABLE_NAME"] == _physical(cloud, "ItemsTable")
    assert seen["QUEUE_URL"] == _physical(cloud, "JobsQueue")
    assert seen["QUEUE_ARN"].startswith("arn:aws:sqs:us-east-1:")
    assert seen["QUEUE_ARN"].endswith(":" + seen["QUEUE_URL"].rsplit("/", 1)[1])
    assert seen["STREAM_ARN"] == stream_arn
    assert seen["GREETING"] == f"hi from {STACK} in us-east-1"
    assert seen["AWS_ENDPOINT_URL"] == cloud.endpoint_url
    assert seen["function_name"] == f"{STACK}-EnvironmentFunction"


def test_an_api_call_runs_under_the_trace_id_its_event_carries_and_names_the_stacks_api(
    cloud: LocalCloud,
) -> None:
    seen = requests.get(f"{cloud.api_url}/environment", timeout=30).json()

    root = seen["event_trace_header"].removeprefix("Root=")
    assert re.fullmatch(r"1-[0-9a-f]{8}-[0-9a-f]{24}", root)
    assert re.fullmatch(rf"Root={root};Parent=[0-9a-f]{{16}};Sampled=0", seen["trace_id"])
    assert seen["api_id"] == _physical(cloud, "Api")


def test_each_invocation_logs_start_end_and_report_to_the_context_log_stream(
    cloud: LocalCloud,
) -> None:
    """In the log group the function's LoggingConfig names, which the stack created."""
    seen = requests.get(f"{cloud.api_url}/environment", timeout=30).json()
    logs = boto3.client("logs", endpoint_url=cloud.endpoint_url)
    request_id = seen["request_id"]

    def platform_lines() -> list[str]:
        try:
            events = shipped_events()
        except logs.exceptions.ResourceNotFoundException:
            return []  # the log stream is created with its first shipped lines
        lines = [event["message"] for event in events]
        return lines if any(line.startswith("REPORT") for line in lines) else []

    def shipped_events() -> list[dict[str, Any]]:
        return logs.filter_log_events(
            logGroupName=f"/{STACK}/environment",
            logStreamNames=[seen["log_stream_name"]],
            filterPattern=f'"{request_id}"',
        )["events"]

    lines = wait_until(platform_lines, timeout_s=10, what="the invocation's REPORT line")
    assert seen["log_group_name"] == f"/{STACK}/environment"
    assert lines[0] == f"START RequestId: {request_id} Version: $LATEST"
    assert lines[1] == f"END RequestId: {request_id}"
    assert lines[2].startswith(f"REPORT RequestId: {request_id}\tDuration: ")


def test_cognito_route_refuses_a_missing_token_and_serves_a_signed_in_user(
    cloud: LocalCloud,
) -> None:
    cognito = boto3.client("cognito-idp", endpoint_url=cloud.endpoint_url)
    assert cloud.stack is not None
    pool, client = cloud.stack.outputs["UserPoolId"], cloud.stack.outputs["UserPoolClientId"]
    cognito.admin_create_user(UserPoolId=pool, Username="carol", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="carol", Password="Local-Cloud-2026", Permanent=True
    )
    token = cognito.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol", "PASSWORD": "Local-Cloud-2026"},
    )["AuthenticationResult"]["IdToken"]

    anonymous = requests.get(f"{cloud.api_url}/users/u%201", timeout=30)
    signed_in = requests.get(
        f"{cloud.api_url}/users/u%201", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )

    assert anonymous.status_code == 401
    assert anonymous.json() == {"message": "Unauthorized"}
    assert signed_in.status_code == 200
    assert signed_in.json() == {"username": "carol", "userId": "u 1"}


def test_handler_exception_gives_502_and_the_cloud_keeps_serving(cloud: LocalCloud) -> None:
    failed = requests.get(f"{cloud.api_url}/fail", timeout=30)
    after = requests.get(f"{cloud.api_url}/environment", timeout=30)

    assert failed.status_code == 502
    assert failed.json() == {"message": "Internal server error"}
    assert after.status_code == 200


def test_handler_past_its_timeout_gives_502_and_the_next_call_works(cloud: LocalCloud) -> None:
    timed_out = cloud.invoke("SlowFunction", {})
    over_http = requests.get(f"{cloud.api_url}/slow", timeout=30)

    assert timed_out.error_type == "Sandbox.Timedout"
    assert over_http.status_code == 502
    assert requests.get(f"{cloud.api_url}/environment", timeout=30).status_code == 200


def test_unknown_route_answers_as_api_gateway_does(cloud: LocalCloud) -> None:
    answer = requests.post(f"{cloud.api_url}/no/such/route", timeout=30)

    assert answer.status_code == 403
    assert answer.json() == {"message": "Missing Authentication Token"}


def test_queue_messages_reach_their_consumer_and_its_table_stream_reaches_the_next(
    cloud: LocalCloud,
) -> None:
    sqs = boto3.client("sqs", endpoint_url=cloud.endpoint_url)
    audit = boto3.resource("dynamodb", endpoint_url=cloud.endpoint_url).Table(
        _physical(cloud, "AuditTable")
    )
    jobs = ["job-1", "job-2", "job-3"]
    for body in [*jobs, "poison"]:
        sqs.send_message(QueueUrl=_physical(cloud, "JobsQueue"), MessageBody=body)

    def audited() -> bool:
        return all("Item" in audit.get_item(Key={"pk": job}) for job in jobs)

    def dead_letters() -> list[str]:
        received = sqs.receive_message(
            QueueUrl=_physical(cloud, "JobsDeadLetterQueue"), WaitTimeSeconds=1
        )
        return [message["Body"] for message in received.get("Messages", [])]

    wait_until(audited, what="the three jobs to pass through the queue and the stream")
    assert wait_until(dead_letters, what="the poison job in the DLQ") == ["poison"]
    assert "Item" not in audit.get_item(Key={"pk": "poison"})


def test_a_taken_api_port_is_named_in_the_error(cloud: LocalCloud) -> None:
    second = LocalCloud(
        LocalCloudConfig(
            template=APP_TEMPLATE,
            api_port=cloud.config.api_port,
            emulator_port=free_port(),
            quiet=True,
        )
    )

    with pytest.raises(PortInUseError, match=f"127.0.0.1:{cloud.config.api_port}"):
        second.start()


def test_a_template_it_cannot_run_is_refused_naming_the_resource(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Network:\n"
        "    Type: AWS::EC2::VPC\n"
        "    Properties: {CidrBlock: 10.0.0.0/16}\n"
    )
    cloud = LocalCloud(
        LocalCloudConfig(
            template=template, api_port=free_port(), emulator_port=free_port(), quiet=True
        )
    )

    with pytest.raises(TemplateError, match=r"Network \(AWS::EC2::VPC\)"):
        cloud.start()
    assert cloud.emulator is None
