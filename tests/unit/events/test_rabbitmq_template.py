"""infrastructure/rabbitmq/template.yaml is generated from template.yaml and must not
drift from it: each SQS consumer of an event topic becomes an MQ event source on a queue
bound by the same event types, with a delivery limit and a dead-letter queue, and
nothing is left that names an SNS event topic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rabbitmq import generate

from localcloud.cloudformation.intrinsics import referenced_names
from localcloud.cloudformation.template import parse_template

REPO_ROOT = Path(__file__).resolve().parents[3]
EVENT_TOPICS = {"OrdersTopic", "PaymentsTopic", "NotificationsTopic"}


def resources(path: Path) -> dict[str, Any]:
    return dict(parse_template(path.read_text())["Resources"])


def test_the_committed_rabbitmq_template_is_generated_from_template_yaml() -> None:
    committed = generate.TEMPLATE_PATH.read_text() if generate.TEMPLATE_PATH.exists() else ""

    assert committed == generate.generated_text(), (
        "infrastructure/rabbitmq/template.yaml is out of date with template.yaml: run "
        "`python -m infrastructure.rabbitmq.generate` and commit it."
    )


def test_every_queue_consumer_reads_a_queue_bound_by_the_same_event_types() -> None:
    sns = resources(REPO_ROOT / "template.yaml")
    rabbitmq = resources(generate.TEMPLATE_PATH)
    filters = {
        generate.queue_name(consumer): consumer.event_types for consumer in generate._consumers(sns)
    }
    topology = rabbitmq[generate.TOPOLOGY_RESOURCE]["Properties"]
    bound = {queue["Name"]: tuple(queue["EventTypes"]) for queue in topology["Queues"]}
    read = {
        event["Properties"]["Queues"][0]: event["Properties"]
        for resource in rabbitmq.values()
        if resource["Type"] == "AWS::Serverless::Function"
        for event in (resource["Properties"].get("Events") or {}).values()
        if event["Type"] == "MQ"
    }

    assert bound == filters
    assert set(read) == set(filters)
    for properties in read.values():
        assert properties["Broker"] == {"Fn::GetAtt": ["RabbitMQBroker", "Arn"]}
        assert properties["MaximumBatchingWindowInSeconds"] == 0
        assert properties["SourceAccessConfigurations"] == [
            {"Type": "BASIC_AUTH", "URI": {"Ref": "RabbitMQBrokerSecret"}},
            {"Type": "VIRTUAL_HOST", "URI": "/"},
        ]
    for queue in topology["Queues"]:
        assert queue["DeadLetterQueue"] == queue["Name"] + ".dead-letters"
        assert queue["DeliveryLimit"] == {"Ref": "ConsumerDeliveryLimit"}


def test_nothing_names_an_event_topic_and_the_broker_runs_rabbitmq() -> None:
    rabbitmq = resources(generate.TEMPLATE_PATH)

    assert not EVENT_TOPICS & set(rabbitmq)
    assert not referenced_names(list(rabbitmq.values())) & EVENT_TOPICS
    broker = rabbitmq["RabbitMQBroker"]["Properties"]
    assert broker["EngineType"] == "RABBITMQ"
    secret = rabbitmq["RabbitMQBrokerSecret"]["Properties"]["GenerateSecretString"]
    assert json.loads(secret["SecretStringTemplate"]) == {"username": "petstore"}
    assert secret["GenerateStringKey"] == "password"


def test_publishers_get_the_endpoint_and_the_secret_and_leave_to_read_only_it() -> None:
    rabbitmq = resources(generate.TEMPLATE_PATH)
    publishers = {
        name: resource["Properties"]
        for name, resource in rabbitmq.items()
        if resource["Type"] == "AWS::Serverless::Function"
        and "RABBITMQ_SECRET_ARN"
        in resource["Properties"].get("Environment", {}).get("Variables", {})
    }

    assert "OrdersOutboxPublisherFunction" in publishers
    for properties in publishers.values():
        statements = [s for p in properties["Policies"] for s in p.get("Statement", [])]
        assert {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": {"Ref": "RabbitMQBrokerSecret"},
        } in statements


def test_queue_alarms_watch_the_brokers_queue_metrics() -> None:
    rabbitmq = resources(generate.TEMPLATE_PATH)
    alarms = [r["Properties"] for r in rabbitmq.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    dead_letters = [a for a in alarms if a.get("MetricName") == "MessageCount"]
    depth = [a for a in alarms if a.get("MetricName") == "MessageReadyCount"]

    assert len(dead_letters) == len(
        list(generate._consumers(resources(REPO_ROOT / "template.yaml")))
    )
    assert depth
    for alarm in dead_letters + depth:
        assert alarm["Namespace"] == "AWS/AmazonMQ"
        names = [dimension["Name"] for dimension in alarm["Dimensions"]]
        assert names == ["Broker", "VirtualHost", "Queue"]
    assert all(a["Dimensions"][2]["Value"].endswith(".dead-letters") for a in dead_letters)
