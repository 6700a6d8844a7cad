"""The Kafka template's topics on the local broker are made by the very function that
makes them on AWS: the `Custom::KafkaTopics` custom resource's, run by the local cloud as
CloudFormation runs it, with the broker's address as the other Kafka functions get it."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.event_sources.kafka.provisioning import kafka_stack_of
from localcloud.event_sources.kafka.runtime import LocalKafka

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("saga_cloud", ["kafka"], indirect=True)
def test_the_topics_function_made_every_topic_with_its_partitions(saga_cloud: Any) -> None:
    stack = saga_cloud.stack
    kafka = saga_cloud.runtime_of(LocalKafka)
    metadata = kafka.broker.admin().list_topics(timeout=10).topics
    partitions = {name: len(topic.partitions) for name, topic in metadata.items()}

    assert kafka_stack_of(stack).topics == {}  # no AWS::MSK::Topic: the function made them
    assert stack.physical_ids["KafkaTopics"] == stack.outputs["KafkaClusterArn"] + "/topics"
    assert {name: partitions.get(name) for name in ("orders", "payments", "notifications")} == {
        "orders": 3,
        "payments": 3,
        "notifications": 3,
    }
    dead_letter_topics = [m.on_failure_topic for m in kafka_stack_of(stack).mappings]
    assert len(dead_letter_topics) == 8
    assert all(partitions.get(name) == 1 for name in dead_letter_topics)


@pytest.mark.parametrize("saga_cloud", ["kafka"], indirect=True)
def test_a_reset_runs_the_custom_resource_again_and_topics_keep_their_partitions(
    saga_cloud: Any,
) -> None:
    saga_cloud.reset()

    kafka = saga_cloud.runtime_of(LocalKafka)
    metadata = kafka.broker.admin().list_topics(timeout=10).topics
    assert len(metadata["orders"].partitions) == 3
    assert saga_cloud.stack.physical_ids["KafkaTopics"].endswith("/topics")
