"""Data at rest is encrypted (tables, queues, topics), queues and topics refuse anything
but HTTPS, and the API is throttled: what checkov cannot see through SAM and SSE-SQS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation.intrinsics import referenced_names
from localcloud.cloudformation.template import parse_template

PROJECT_ROOT = Path(__file__).resolve().parents[3]
RESOURCES: dict[str, Any] = parse_template((PROJECT_ROOT / "template.yaml").read_text())[
    "Resources"
]
UNENCRYPTED_TOPICS = {
    "AlarmTopic": "CloudWatch alarms cannot publish to a topic encrypted with the AWS managed "
    "key; encrypting it needs a customer managed key whose policy lets CloudWatch in",
    "EmailFeedbackTopic": "SES cannot publish bounces to a topic encrypted with the AWS managed "
    "key either; they carry only the bounced address",
}


def of_type(kind: str) -> list[str]:
    return sorted(name for name, resource in RESOURCES.items() if resource["Type"] == kind)


def properties(name: str) -> dict[str, Any]:
    found: dict[str, Any] = RESOURCES[name].get("Properties", {})
    return found


def https_only_resources(policy_kind: str) -> set[str]:
    """Resources a policy of the kind denies every request not made over TLS."""
    covered: set[str] = set()
    for name in of_type(policy_kind):
        for statement in properties(name)["PolicyDocument"]["Statement"]:
            insecure = statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
            if statement["Effect"] == "Deny" and str(insecure).lower() == "false":
                covered |= referenced_names(statement["Resource"])
    return covered


@pytest.mark.parametrize("table", of_type("AWS::DynamoDB::Table"))
def test_every_table_is_encrypted_at_rest(table: str) -> None:
    assert properties(table)["SSESpecification"]["SSEEnabled"] is True


@pytest.mark.parametrize("queue", of_type("AWS::SQS::Queue"))
def test_every_queue_is_encrypted_at_rest(queue: str) -> None:
    queue_properties = properties(queue)

    assert queue_properties.get("SqsManagedSseEnabled") is True or queue_properties.get(
        "KmsMasterKeyId"
    )


@pytest.mark.parametrize(
    "topic", [t for t in of_type("AWS::SNS::Topic") if t not in UNENCRYPTED_TOPICS]
)
def test_every_topic_is_encrypted_at_rest(topic: str) -> None:
    assert properties(topic)["KmsMasterKeyId"]


@pytest.mark.parametrize("queue", of_type("AWS::SQS::Queue"))
def test_every_queue_refuses_requests_not_made_over_https(queue: str) -> None:
    assert queue in https_only_resources("AWS::SQS::QueuePolicy")


@pytest.mark.parametrize(
    "topic", [t for t in of_type("AWS::SNS::Topic") if t not in UNENCRYPTED_TOPICS]
)
def test_every_topic_refuses_requests_not_made_over_https(topic: str) -> None:
    assert topic in https_only_resources("AWS::SNS::TopicPolicy")


@pytest.mark.parametrize("api", of_type("AWS::Serverless::Api"))
def test_every_route_of_the_api_is_throttled(api: str) -> None:
    settings = properties(api)["MethodSettings"]

    every_route = [s for s in settings if s["ResourcePath"] == "/*" and s["HttpMethod"] == "*"]
    assert every_route, settings
    assert every_route[0]["ThrottlingRateLimit"] > 0
    assert every_route[0]["ThrottlingBurstLimit"] >= every_route[0]["ThrottlingRateLimit"]
