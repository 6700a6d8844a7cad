"""The RabbitMQ resources of a template, as the local cloud reads them: the Amazon MQ
broker (the local broker stands in for it) with its endpoints, the user's secret made in
the emulator as CloudFormation generates it, and each MQ event source as a mapping with
Lambda's settings and defaults; what cannot run locally is refused, naming the resource."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from localcloud.cloudformation.provision import provision
from localcloud.cloudformation.template import parse_template
from localcloud.emulator.process import Emulator
from localcloud.event_sources.rabbitmq.mapping import RabbitMQMapping
from localcloud.event_sources.rabbitmq.provisioning import rabbitmq_stack_of
from localcloud.model import Stack, TemplateError

pytestmark = pytest.mark.integration

TEMPLATE = Path(__file__).parent / "templates" / "rabbitmq_stack.yaml"


@pytest.fixture(scope="module")
def stack(emulator: Emulator) -> Stack:
    return provision(TEMPLATE, emulator.endpoint_url, stack_name="rmqtest")


def mapping_of(stack: Stack, function: str) -> RabbitMQMapping:
    [mapping] = [m for m in rabbitmq_stack_of(stack).mappings if m.function == function]
    return mapping


def test_the_broker_has_amazon_mqs_arn_and_endpoints(stack: Stack) -> None:
    [arn] = rabbitmq_stack_of(stack).brokers
    broker_id = stack.physical_ids["Broker"]

    assert arn == f"arn:aws:mq:us-east-1:123456789012:broker:events:{broker_id}"
    assert stack.outputs["Endpoint"] == f"amqps://{broker_id}.mq.us-east-1.amazonaws.com:5671"
    assert any("Broker (AWS::AmazonMQ::Broker): property Users" in line for line in stack.ignored)


def test_the_secret_is_generated_in_the_emulator(stack: Stack, emulator: Emulator) -> None:
    secrets = boto3.client(
        "secretsmanager", endpoint_url=emulator.endpoint_url, region_name="us-east-1"
    )
    value = secrets.get_secret_value(SecretId=stack.physical_ids["BrokerSecret"])["SecretString"]
    document = json.loads(value)

    assert document["username"] == "events"
    assert len(document["password"]) == 24 and document["password"].isalnum()


def test_an_mq_event_source_keeps_its_lambda_settings(stack: Stack) -> None:
    mapping = mapping_of(stack, "OrdersConsumer")

    assert mapping.broker_arn == rabbitmq_stack_of(stack).brokers[0]
    assert (mapping.queue, mapping.virtual_host, mapping.queue_key) == (
        "orders",
        "shop",
        "orders::shop",
    )
    assert (mapping.batch_size, mapping.batching_window_s) == (25, 0)


def test_an_mq_event_source_without_settings_gets_lambdas_defaults(stack: Stack) -> None:
    mapping = mapping_of(stack, "DefaultsConsumer")

    assert (mapping.virtual_host, mapping.batch_size, mapping.batching_window_s) == ("/", 100, 0.5)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"Queues": ["orders", "payments"]}, "reads exactly one queue"),
        ({"BatchSize": 20000}, "BatchSize: 20000 is not within 1-10000"),
    ],
)
def test_what_cannot_run_locally_is_refused_naming_the_mapping(
    emulator: Emulator, tmp_path: Path, change: dict[str, object], complaint: str
) -> None:
    template = parse_template(TEMPLATE.read_text())
    del template["Resources"]["DefaultsConsumer"]
    event = template["Resources"]["OrdersConsumer"]["Properties"]["Events"]["Orders"]
    event["Properties"].update(change)
    # JSON is YAML: the intrinsics stay in their long form.
    (tmp_path / "template.yaml").write_text(json.dumps(template))
    (tmp_path / "code").symlink_to(TEMPLATE.parent / "code")

    with pytest.raises(TemplateError, match="OrdersConsumerOrders") as refused:
        provision(tmp_path / "template.yaml", emulator.endpoint_url, stack_name="rmqbad")
    assert complaint in str(refused.value)


def test_a_broker_of_another_engine_is_refused(emulator: Emulator, tmp_path: Path) -> None:
    text = TEMPLATE.read_text().replace("EngineType: RABBITMQ", "EngineType: ACTIVEMQ")
    (tmp_path / "template.yaml").write_text(text)
    (tmp_path / "code").symlink_to(TEMPLATE.parent / "code")

    with pytest.raises(TemplateError, match=r"Broker .* ACTIVEMQ is not run locally"):
        provision(tmp_path / "template.yaml", emulator.endpoint_url, stack_name="rmqactive")
