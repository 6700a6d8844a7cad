"""infrastructure/kafka/template.yaml is generated from template.yaml and must not drift
from it: the same functions, each SQS consumer an MSK consumer of its topic with the same
event types, and nothing of SNS or SQS left but the charge-retry queue."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from localcloud.cloudformation.template import parse_template

REPO_ROOT = Path(__file__).resolve().parents[3]
OWN_QUEUES_PREFIX = ("PaymentChargeRetries", "EmailFeedback")
"""The payments consumer's charge-retry queue stays SQS (Kafka has no delayed delivery), and
so does the e-mail feedback path (SES publishes bounces and complaints to SNS only)."""
OWN_QUEUES = ("PaymentChargeRetriesQueue", "EmailFeedbackQueue")
STREAM_FAILURE_QUEUES = (
    "InventoryOutboxPublisherFailuresQueue",
    "OrdersOutboxPublisherFailuresQueue",
    "PaymentsOutboxPublisherFailuresQueue",
)
"""The outbox publishers' on-failure queues stay SQS: a DynamoDB stream mapping's
destination is an SQS queue or SNS topic, whatever the event bus."""


def _load_generator() -> ModuleType:
    path = REPO_ROOT / "infrastructure" / "kafka" / "generate.py"
    spec = importlib.util.spec_from_file_location("kafka_template_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


def resources(path: Path) -> dict[str, Any]:
    return dict(parse_template(path.read_text())["Resources"])


def test_the_committed_kafka_template_is_generated_from_template_yaml() -> None:
    committed = generate.TEMPLATE_PATH.read_text() if generate.TEMPLATE_PATH.exists() else ""

    assert committed == generate.generated_text(), (
        "infrastructure/kafka/template.yaml is out of date with template.yaml: run "
        "`python -m infrastructure.kafka.generate` and commit it."
    )


def test_every_queue_consumer_reads_its_topic_with_the_same_event_types() -> None:
    sns = resources(REPO_ROOT / "template.yaml")
    kafka = resources(generate.TEMPLATE_PATH)
    filters = {
        subscription["Properties"]["Endpoint"]["Fn::GetAtt"][0]: (
            generate.TOPIC_NAMES[subscription["Properties"]["TopicArn"]["Ref"]],
            subscription["Properties"]["FilterPolicy"]["type"],
        )
        for subscription in sns.values()
        if subscription["Type"] == "AWS::SNS::Subscription"
        and subscription["Properties"]["TopicArn"]["Ref"] in generate.TOPIC_NAMES
    }
    consumed = 0
    for logical_id, function in sns.items():
        if function["Type"] != "AWS::Serverless::Function":
            continue
        kafka_function = kafka[logical_id]["Properties"]
        assert kafka_function["Handler"] == function["Properties"]["Handler"]
        for event in (function["Properties"].get("Events") or {}).values():
            if (
                event["Type"] != "SQS"
                or event["Properties"]["Queue"]["Fn::GetAtt"][0] in OWN_QUEUES
            ):
                continue
            consumed += 1
            topic, types = filters[event["Properties"]["Queue"]["Fn::GetAtt"][0]]
            source = kafka_function["Events"]["Kafka"]["Properties"]
            assert source["Topics"] == [topic]
            [pattern] = source["FilterCriteria"]["Filters"]
            assert json.loads(pattern["Pattern"]) == {"value": {"type": types}}
            assert source["DestinationConfig"]["OnFailure"]["Destination"].startswith("kafka://")
    assert consumed == len(filters) == 8


def test_nothing_of_sns_or_sqs_is_left_and_topics_have_three_partitions() -> None:
    kafka = resources(generate.TEMPLATE_PATH)
    text = generate.TEMPLATE_PATH.read_text()

    assert not [
        logical_id
        for logical_id, r in kafka.items()
        if r["Type"].startswith("AWS::SQS::")
        and not logical_id.startswith((*OWN_QUEUES_PREFIX, "OutboxPublisherFailures"))
        and logical_id not in STREAM_FAILURE_QUEUES
    ]
    assert not [
        logical_id
        for logical_id, r in kafka.items()
        if r["Type"] == "AWS::SNS::Topic" and logical_id in generate.TOPIC_NAMES
    ]
    # The alarm topic stays an SNS topic, its e-mail with it; so does SES's feedback topic.
    assert sorted(
        logical_id for logical_id, r in kafka.items() if r["Type"] == "AWS::SNS::Subscription"
    ) == ["AlarmEmailSubscription", "EmailFeedbackSubscription"]
    assert "TOPIC_ARN" not in text and "SNSPublishMessagePolicy" not in text
    sqs_alarms = [
        r["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for r in kafka.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("Namespace") == "AWS/SQS"
    ]
    assert sorted(sqs_alarms) == sorted(
        [
            "EmailFeedbackDeadLetterQueue",
            "EmailFeedbackQueue",
            "PaymentChargeRetriesDeadLetterQueue",
            "PaymentChargeRetriesQueue",
            *STREAM_FAILURE_QUEUES,
        ]
    )
    dashboard_lines = [line for line in text.splitlines() if '["AWS/SQS"' in line]
    assert all(
        "PaymentChargeRetries" in line
        or "OutboxPublisherFailuresQueue" in line
        or "EmailFeedback" in line
        for line in dashboard_lines
    )
    topics = {
        topic["Name"]: topic["Partitions"]
        for r in kafka.values()
        if r["Type"] == "Custom::KafkaTopics"
        for topic in r["Properties"]["Topics"]
    }
    assert {name: topics[name] for name in ("orders", "payments", "notifications")} == {
        "orders": 3,
        "payments": 3,
        "notifications": 3,
    }


def test_every_kafka_consumer_knows_its_mappings_consumer_group() -> None:
    """A consumer skips a record redriven for another group: it must know its own."""
    consumers = [
        (logical_id, resource["Properties"])
        for logical_id, resource in resources(generate.TEMPLATE_PATH).items()
        if "Kafka" in (resource.get("Properties", {}).get("Events") or {})
    ]

    assert consumers
    for logical_id, properties in consumers:
        group = properties["Events"]["Kafka"]["Properties"]["ConsumerGroupId"]
        assert properties["Environment"]["Variables"]["KAFKA_CONSUMER_GROUP"] == group, logical_id
