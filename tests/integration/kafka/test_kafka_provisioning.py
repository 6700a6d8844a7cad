"""The Kafka resources of a template, as the local cloud reads them: the MSK cluster (the
local broker stands in for it), its topics with their partitions, and each Amazon MSK or
self-managed Kafka event source as a mapping with Lambda's settings and defaults; what it
cannot honour locally is refused with the resource named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from localcloud.cloudformation.provision import provision
from localcloud.emulator.process import Emulator
from localcloud.event_sources.kafka.mapping import KafkaMapping, KafkaTopic
from localcloud.event_sources.kafka.provisioning import kafka_stack_of
from localcloud.model import Stack, TemplateError

pytestmark = pytest.mark.integration

TEMPLATE = Path(__file__).parent / "templates" / "kafka_stack.yaml"


@pytest.fixture(scope="module")
def stack(emulator: Emulator) -> Stack:
    return provision(TEMPLATE, emulator.endpoint_url, stack_name="kafkatest")


def mapping_of(stack: Stack, function: str) -> KafkaMapping:
    [mapping] = [m for m in kafka_stack_of(stack).mappings if m.function == function]
    return mapping


def test_topics_keep_their_partitions_and_the_cluster_is_the_local_broker(stack: Stack) -> None:
    kafka = kafka_stack_of(stack)

    assert kafka.topics == {"orders": KafkaTopic("orders", 3)}
    assert [topic.name for topic in kafka.all_topics()] == [
        "orders",
        "orders-dead-letters",
        "payments",
    ]
    assert stack.physical_ids["Cluster"].startswith(
        "arn:aws:kafka:us-east-1:123456789012:cluster/events/"
    )
    assert stack.physical_ids["OrdersTopic"].endswith("/orders")
    assert any(
        "Cluster (AWS::MSK::ServerlessCluster): property ClientAuthentication" in line
        for line in stack.ignored
    )


def test_an_msk_event_source_keeps_its_lambda_settings(stack: Stack) -> None:
    mapping = mapping_of(stack, "ManagedConsumer")

    assert mapping.event_source == "aws:kafka"
    assert mapping.event_source_arn == stack.physical_ids["Cluster"]
    assert mapping.topic == "orders"
    assert mapping.batch_size == 25
    assert mapping.batching_window_s == 0
    assert mapping.starting_position == "TRIM_HORIZON"
    assert mapping.filters == ({"value": {"type": ["order.placed"]}},)
    assert mapping.report_batch_item_failures
    assert mapping.bisect_batch_on_error
    assert mapping.retry_limit == 2
    assert mapping.on_failure_topic == "orders-dead-letters"
    # Lambda names the consumer group after the mapping when the template does not.
    assert mapping.consumer_group == stack.physical_ids["ManagedConsumerOrders"]


def test_a_self_managed_event_source_reads_the_local_broker_with_lambdas_defaults(
    stack: Stack,
) -> None:
    mapping = mapping_of(stack, "SelfManagedConsumer")

    assert mapping.event_source == "SelfManagedKafka"
    assert mapping.event_source_arn == ""
    assert mapping.consumer_group == "payments-readers"
    assert (mapping.batch_size, mapping.batching_window_s) == (100, 0.5)
    assert mapping.starting_position == "LATEST"
    assert mapping.retry_limit == -1
    assert any(
        "property SelfManagedEventSource: ignored locally — its records are read from the "
        "local cloud's broker" in line
        for line in stack.ignored
    )


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"Topics": ["orders", "payments"]}, "reads exactly one topic"),
        ({"StartingPosition": "AT_TIMESTAMP"}, "'AT_TIMESTAMP' is not supported locally"),
        (
            {
                "FilterCriteria": {
                    "Filters": [{"Pattern": '{"value": {"n": [{"wildcard": "a*"}]}}'}]
                }
            },
            "FilterCriteria of function ManagedConsumer: pattern "
            '{"value": {"n": [{"wildcard": "a*"}]}}: n: operator \'wildcard\' is not part of '
            "Lambda's filter rule syntax",
        ),
        (
            {"DestinationConfig": {"OnFailure": {"Destination": "kafka://orders"}}},
            "the on-failure topic is the topic the mapping reads",
        ),
    ],
)
def test_what_cannot_run_locally_is_refused_naming_the_mapping(
    emulator: Emulator, tmp_path: Path, change: dict[str, object], complaint: str
) -> None:
    template = yaml.safe_load(TEMPLATE.read_text().replace("!Ref Cluster", "REF_CLUSTER"))
    del template["Resources"]["SelfManagedConsumer"]
    event = template["Resources"]["ManagedConsumer"]["Properties"]["Events"]["Orders"]
    event["Properties"].update(change)
    text = yaml.safe_dump(template).replace("REF_CLUSTER", "!Ref Cluster")
    (tmp_path / "template.yaml").write_text(text)
    (tmp_path / "code").symlink_to(TEMPLATE.parent / "code")

    with pytest.raises(TemplateError, match="ManagedConsumerOrders") as refused:
        provision(tmp_path / "template.yaml", emulator.endpoint_url, stack_name="kafkabad")
    assert complaint in str(refused.value)
