"""Provisioning SAM templates into the emulator: what gets created, how it is wired,
what is refused, and that provisioning again is safe and fast."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from localcloud.cloudformation.provision import provision
from localcloud.emulator.process import Emulator
from localcloud.event_sources.dynamodb_streams.mapping import stream_mappings
from localcloud.event_sources.sqs.mapping import sqs_mappings
from localcloud.model import RestApiSettings, Route, Stack, TemplateError

pytestmark = pytest.mark.integration

TEMPLATES = Path(__file__).parents[1] / "templates"
STACK_TEMPLATE = TEMPLATES / "provision_stack.yaml"
STACK_NAME = "provtest"
PASSWORD = "Local-Passw0rd!"


@pytest.fixture(scope="module")
def stack(emulator: Emulator) -> Stack:
    return provision(STACK_TEMPLATE, emulator.endpoint_url, stack_name=STACK_NAME)


@pytest.fixture(scope="module")
def aws(emulator: Emulator) -> Callable[[str], Any]:
    def client(service: str) -> Any:
        return boto3.client(  # type: ignore[call-overload]
            service, endpoint_url=emulator.endpoint_url, region_name="us-east-1"
        )

    return client


def test_table_has_its_keys_indexes_stream_and_ttl(stack: Stack, aws: Callable[[str], Any]) -> None:
    dynamodb = aws("dynamodb")

    table = dynamodb.describe_table(TableName=stack.physical_ids["OrdersTable"])["Table"]

    assert table["TableName"] == "provtest-OrdersTable"
    assert [key["AttributeName"] for key in table["KeySchema"]] == ["pk", "sk"]
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["ByStatus"]
    assert [index["IndexName"] for index in table["LocalSecondaryIndexes"]] == ["ByCreatedAt"]
    assert table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    assert stack.outputs["OrdersStreamArn"] == table["LatestStreamArn"]
    ttl = dynamodb.describe_time_to_live(TableName=table["TableName"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}


def test_queue_redrives_to_its_dead_letter_queue(stack: Stack, aws: Callable[[str], Any]) -> None:
    sqs = aws("sqs")
    dead_letters_arn = sqs.get_queue_attributes(
        QueueUrl=stack.physical_ids["EventsDeadLetterQueue"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]

    attributes = sqs.get_queue_attributes(
        QueueUrl=stack.physical_ids["EventsQueue"], AttributeNames=["All"]
    )["Attributes"]

    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": dead_letters_arn,
        "maxReceiveCount": 3,
    }
    assert attributes["VisibilityTimeout"] == "30"


def test_subscription_filter_policy_delivers_only_matching_events(
    stack: Stack, aws: Callable[[str], Any]
) -> None:
    sns, sqs = aws("sns"), aws("sqs")
    queue_url = stack.physical_ids["EventsQueue"]
    sqs.purge_queue(QueueUrl=queue_url)

    for event_type in ("payment.failed", "order.placed"):
        sns.publish(
            TopicArn=stack.physical_ids["OrdersTopic"],
            Message=json.dumps({"type": event_type}),
            MessageAttributes={"type": {"DataType": "String", "StringValue": event_type}},
        )

    # The non-matching event was published first and moto delivers while publishing,
    # so once the matching one is in the queue, the other would be there too.
    assert _receive_all(sqs, queue_url) == [{"type": "order.placed"}]


def _receive_all(sqs: Any, queue_url: str) -> list[Any]:
    """Every message in the queue, waiting (up to 5 s) for the first to arrive."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        first = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1).get("Messages", [])
        if first:
            rest = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
            messages = first + rest.get("Messages", [])
            return [json.loads(message["Body"]) for message in messages]
    raise AssertionError("no message arrived within 5 s")


def test_user_pool_has_its_client_and_groups(stack: Stack, aws: Callable[[str], Any]) -> None:
    cognito = aws("cognito-idp")
    pool = stack.user_pools["UserPool"]

    described = cognito.describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]
    groups = cognito.list_groups(UserPoolId=pool.pool_id)["Groups"]

    assert described["Name"] == "provtest-shoppers"
    assert pool.arn == described["Arn"]
    assert pool.client_ids == (stack.outputs["UserPoolClientId"],)
    assert pool.groups == ("admin", "support")
    assert sorted(group["GroupName"] for group in groups) == ["admin", "support"]


def test_user_pool_client_allows_admin_password_sign_in(
    stack: Stack, aws: Callable[[str], Any]
) -> None:
    cognito = aws("cognito-idp")
    pool = stack.user_pools["UserPool"]
    cognito.admin_create_user(UserPoolId=pool.pool_id, Username="carol", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool.pool_id, Username="carol", Password=PASSWORD, Permanent=True
    )

    answer = cognito.admin_initiate_auth(
        UserPoolId=pool.pool_id,
        ClientId=pool.client_ids[0],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol", "PASSWORD": PASSWORD},
    )

    client = cognito.describe_user_pool_client(UserPoolId=pool.pool_id, ClientId=pool.client_ids[0])
    assert "ALLOW_ADMIN_USER_PASSWORD_AUTH" in client["UserPoolClient"]["ExplicitAuthFlows"]
    assert answer["AuthenticationResult"]["IdToken"]


def test_function_environment_is_resolved_from_ref_getatt_and_sub(stack: Stack) -> None:
    environment = stack.functions["OrdersFunction"].environment

    assert environment == {
        "STAGE": "test",
        "TABLE_NAME": "provtest-OrdersTable",
        "TABLE_ARN": "arn:aws:dynamodb:us-east-1:123456789012:table/provtest-OrdersTable",
        "QUEUE_URL": stack.physical_ids["EventsQueue"],
        "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:provtest-OrdersTopic",
        "LOG_GROUP": "/provtest/test/orders in us-east-1",
        "DEAD_LETTER_QUEUE_NAME": "provtest-EventsDeadLetterQueue",
    }


def test_function_specs_carry_code_layers_and_lambda_defaults(stack: Stack) -> None:
    orders = stack.functions["OrdersFunction"]
    consumer = stack.functions["EventsConsumerFunction"]

    assert orders.name == "provtest-OrdersFunction"
    assert orders.arn == "arn:aws:lambda:us-east-1:123456789012:function:provtest-OrdersFunction"
    assert orders.code_dir == TEMPLATES / ".local" / "build" / "OrdersFunction"
    assert (orders.code_dir / "app.py").read_text() == (
        TEMPLATES / "provision_code" / "app.py"
    ).read_text()
    assert orders.layer_dirs == (TEMPLATES / "provision_layer",)
    assert (orders.handler, orders.runtime) == ("app.handler", "python3.13")
    assert (orders.timeout_s, orders.memory_mb) == (3, 128)
    assert (consumer.name, consumer.timeout_s, consumer.memory_mb) == (
        "provtest-events-consumer",
        10,
        256,
    )


def test_api_routes_carry_their_auth_kind(stack: Stack) -> None:
    pool_arn = stack.user_pools["UserPool"].arn
    routes = {(route.method, route.path): route for route in stack.routes}

    assert set(routes) == {
        ("GET", "/orders"),
        ("GET", "/health"),
        ("POST", "/orders/{orderId}/internal"),
    }
    api = RestApiSettings(stack.physical_ids["Api"], ("image/png", "application/octet-stream"))
    assert routes["GET", "/health"] == Route("GET", "/health", "OrdersFunction", "NONE", api=api)
    assert {route.api for route in routes.values()} == {api}
    internal = routes["POST", "/orders/{orderId}/internal"]
    assert (internal.auth, internal.cognito) == ("AWS_IAM", None)
    listing = routes["GET", "/orders"]
    assert listing.auth == "COGNITO"
    assert listing.cognito is not None
    assert (listing.cognito.name, listing.cognito.user_pool_arns) == (
        "ShopperAuthorizer",
        (pool_arn,),
    )
    assert stack.api_stage == "test"


def test_event_sources_become_sqs_and_stream_mappings(stack: Stack) -> None:
    [queue] = sqs_mappings(stack)
    [stream] = stream_mappings(stack)

    assert (queue.function, queue.queue_url) == (
        "EventsConsumerFunction",
        stack.physical_ids["EventsQueue"],
    )
    assert queue.queue_arn == "arn:aws:sqs:us-east-1:123456789012:provtest-EventsQueue"
    assert (queue.batch_size, queue.batching_window_s, queue.report_batch_item_failures) == (
        5,
        1,
        True,
    )
    assert queue.maximum_concurrency == 3
    assert (stream.function, stream.table_name) == ("OrdersStreamFunction", "provtest-OrdersTable")
    assert stream.stream_arn == stack.outputs["OrdersStreamArn"]
    assert (stream.starting_position, stream.batch_size) == ("TRIM_HORIZON", 10)
    assert (stream.maximum_retry_attempts, stream.bisect_batch_on_error) == (2, True)


def test_dashboard_alarm_and_log_group_exist(stack: Stack, aws: Callable[[str], Any]) -> None:
    cloudwatch, logs = aws("cloudwatch"), aws("logs")

    dashboard = cloudwatch.get_dashboard(DashboardName="provtest-operations")
    [alarm] = cloudwatch.describe_alarms(AlarmNames=["provtest-dead-letters"])["MetricAlarms"]
    [group] = logs.describe_log_groups(logGroupNamePrefix="/provtest/application")["logGroups"]

    assert "provtest-EventsDeadLetterQueue" in dashboard["DashboardBody"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": "provtest-EventsDeadLetterQueue"}]
    assert alarm["AlarmActions"] == [stack.physical_ids["OrdersTopic"]]
    assert group["retentionInDays"] == 7


def test_ignored_resources_and_properties_are_listed_with_a_reason(stack: Stack) -> None:
    assert (
        "EventsQueuePolicy (AWS::SQS::QueuePolicy): ignored locally — "
        "queue policies are not enforced locally"
    ) in stack.ignored
    assert (
        "OrdersTable (AWS::DynamoDB::Table): property SSESpecification: ignored locally — "
        "the emulator does not encrypt"
    ) in stack.ignored
    assert "OrdersFunctionRole (AWS::IAM::Role): ignored locally — IAM is not enforced locally" in (
        stack.ignored
    )


def test_resources_and_outputs_whose_condition_is_false_are_left_out(stack: Stack) -> None:
    assert "ProdOnlyQueue" not in stack.physical_ids
    assert set(stack.outputs) == {
        "ApiUrl",
        "OrdersTableName",
        "OrdersStreamArn",
        "UserPoolId",
        "UserPoolClientId",
    }
    assert stack.outputs["ApiUrl"] == (
        f"https://{stack.physical_ids['Api']}.execute-api.us-east-1.amazonaws.com/test"
    )


def test_unsupported_resource_type_is_refused_by_name(emulator: Emulator) -> None:
    with pytest.raises(TemplateError) as refused:
        provision(TEMPLATES / "provision_unsupported_type.yaml", emulator.endpoint_url)

    assert str(refused.value) == "Network (AWS::EC2::VPC): resource type is not supported locally"


def test_unsupported_property_is_refused_by_name(emulator: Emulator) -> None:
    with pytest.raises(TemplateError) as refused:
        provision(TEMPLATES / "provision_unsupported_property.yaml", emulator.endpoint_url)

    assert str(refused.value) == (
        "Table (AWS::DynamoDB::Table): property KinesisStreamSpecification is not supported locally"
    )


def test_provisioning_again_reuses_what_exists(stack: Stack, emulator: Emulator) -> None:
    again = provision(STACK_TEMPLATE, emulator.endpoint_url, stack_name=STACK_NAME)

    assert again.physical_ids == stack.physical_ids
    assert again.user_pools == stack.user_pools


def test_large_stack_provisions_every_function_after_a_reset(
    emulator: Emulator, tmp_path: Path
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(yaml.safe_dump(_large_template()))
    provision(template, emulator.endpoint_url, stack_name="provbig")
    emulator.reset()

    big = provision(template, emulator.endpoint_url, stack_name="provbig")

    tables = boto3.client("dynamodb", endpoint_url=emulator.endpoint_url).list_tables()
    assert len(big.functions) == 20
    assert {big.physical_ids[f"Table{index}"] for index in range(6)} <= set(tables["TableNames"])


def _large_template() -> dict[str, Any]:
    resources: dict[str, Any] = {"Pool": {"Type": "AWS::Cognito::UserPool"}}
    for index in range(6):
        resources[f"Table{index}"] = {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
            },
        }
    for index in range(3):
        resources[f"Topic{index}"] = {"Type": "AWS::SNS::Topic"}
    for index in range(5):
        resources[f"DeadLetters{index}"] = {"Type": "AWS::SQS::Queue"}
        resources[f"Queue{index}"] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [f"DeadLetters{index}", "Arn"]},
                    "maxReceiveCount": 3,
                }
            },
        }
        resources[f"Subscription{index}"] = {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": f"Topic{index % 3}"},
                "Protocol": "sqs",
                "Endpoint": {"Fn::GetAtt": [f"Queue{index}", "Arn"]},
                "FilterPolicy": {"type": [f"event.{index}"]},
            },
        }
    for index in range(20):
        resources[f"Function{index}"] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "Environment": {"Variables": {"TABLE": {"Ref": f"Table{index % 6}"}}},
                "Events": {
                    "Get": {
                        "Type": "Api",
                        "Properties": {"Path": f"/things{index}", "Method": "get"},
                    }
                },
            },
        }
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Globals": {
            "Function": {
                "Runtime": "python3.13",
                "Handler": "app.handler",
                "CodeUri": str(TEMPLATES / "provision_code"),
            }
        },
        "Resources": resources,
    }


def test_provisioning_after_an_emulator_reset_recreates_everything(
    stack: Stack, emulator: Emulator, aws: Callable[[str], Any]
) -> None:
    emulator.reset()

    again = provision(STACK_TEMPLATE, emulator.endpoint_url, stack_name=STACK_NAME)

    table = aws("dynamodb").describe_table(TableName="provtest-OrdersTable")["Table"]
    pool = again.user_pools["UserPool"]
    assert table["LatestStreamArn"] == again.outputs["OrdersStreamArn"]
    assert aws("cognito-idp").describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]["Id"]
    assert pool.groups == ("admin", "support")
    assert again.physical_ids["EventsQueue"] == stack.physical_ids["EventsQueue"]


def test_an_sqs_mappings_concurrency_outside_lambdas_range_is_refused_by_name(
    emulator: Emulator, tmp_path: Path
) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(yaml.safe_dump(_consumer_template(maximum_concurrency=1)))

    with pytest.raises(TemplateError) as refused:
        provision(template, emulator.endpoint_url, stack_name="provscale")

    assert "property ScalingConfig.MaximumConcurrency: 1 is outside 2..1000" in str(refused.value)


def _consumer_template(*, maximum_concurrency: int) -> dict[str, Any]:
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Consumer": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.13",
                    "Handler": "app.handler",
                    "CodeUri": str(TEMPLATES / "provision_code"),
                    "Events": {
                        "Queue": {
                            "Type": "SQS",
                            "Properties": {
                                "Queue": {"Fn::GetAtt": ["Queue", "Arn"]},
                                "ScalingConfig": {"MaximumConcurrency": maximum_concurrency},
                            },
                        }
                    },
                },
            },
        },
    }
