"""The Custom::KafkaTopics provider: topics made idempotently (missing ones created,
short ones grown, none shrunk or deleted) and every request answered on its
ResponseURL with the fields CloudFormation reads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from kafka_topics.custom_resource import CustomResourceRequest, send_response
from kafka_topics.handlers import handle_kafka_topics
from kafka_topics.topics import WantedTopic

CLUSTER_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/petstore-events/abc-s1"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/petstore/1234"


class FakeTopicAdmin:
    def __init__(self, partitions: dict[str, int] | None = None) -> None:
        self.partitions = dict(partitions or {})
        self.calls: list[str] = []

    def partition_counts(self) -> dict[str, int]:
        return dict(self.partitions)

    def create(self, topics: Sequence[WantedTopic]) -> None:
        self.calls.append("create " + ",".join(t.name for t in topics))
        self.partitions.update({t.name: t.partitions for t in topics})

    def grow(self, topics: Sequence[WantedTopic]) -> None:
        self.calls.append("grow " + ",".join(t.name for t in topics))
        self.partitions.update({t.name: t.partitions for t in topics})


def request(request_type: str = "Create", **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request_type,
        "RequestId": "req-1",
        "ResponseURL": "https://responses.example/presigned?X-Amz-Signature=abc",
        "ResourceType": "Custom::KafkaTopics",
        "LogicalResourceId": "KafkaTopics",
        "StackId": STACK_ID,
        # CloudFormation sends every scalar of a custom resource's properties as text.
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:topics",
            "ClusterArn": CLUSTER_ARN,
            "Topics": [
                {"Name": "orders", "Partitions": "3"},
                {"Name": "orders-dead-letters", "Partitions": "1"},
            ],
        },
    }
    if request_type != "Create":
        event["PhysicalResourceId"] = f"{CLUSTER_ARN}/topics"
    event.update(changes)
    return event


def answer(event: dict[str, Any], admin: FakeTopicAdmin) -> dict[str, Any]:
    return handle_kafka_topics.answer(CustomResourceRequest.model_validate(event), lambda: admin)


def test_create_makes_the_missing_topics_and_answers_success_with_the_requests_ids() -> None:
    admin = FakeTopicAdmin({"orders": 3})

    body = answer(request(), admin)

    assert admin.partitions == {"orders": 3, "orders-dead-letters": 1}
    assert admin.calls == ["create orders-dead-letters"]
    assert body == {
        "Status": "SUCCESS",
        "PhysicalResourceId": f"{CLUSTER_ARN}/topics",
        "StackId": STACK_ID,
        "RequestId": "req-1",
        "LogicalResourceId": "KafkaTopics",
    }


def test_creating_again_changes_nothing() -> None:
    admin = FakeTopicAdmin({"orders": 3, "orders-dead-letters": 1})

    assert answer(request(), admin)["Status"] == "SUCCESS"
    assert admin.calls == []


def test_update_grows_a_topic_with_too_few_partitions() -> None:
    admin = FakeTopicAdmin({"orders": 1, "orders-dead-letters": 1})

    body = answer(request("Update"), admin)

    assert body["Status"] == "SUCCESS"
    assert admin.calls == ["grow orders"]
    assert admin.partitions["orders"] == 3


def test_fewer_partitions_than_a_topic_has_fails_with_the_reason() -> None:
    admin = FakeTopicAdmin({"orders": 6})

    body = answer(request("Update"), admin)

    assert body["Status"] == "FAILED"
    assert "orders has 6 partitions, not 3" in body["Reason"]
    assert body["PhysicalResourceId"] == f"{CLUSTER_ARN}/topics"
    assert admin.calls == []


@pytest.mark.parametrize(
    "topics",
    [
        None,
        [],
        [{"Name": "orders", "Partitions": "many"}],
        [{"Partitions": "1"}],
        [{"Name": "a", "Partitions": "0"}],
        [{"Name": "a"}, {"Name": "a"}],
    ],
)
def test_topics_that_cannot_be_made_fail_create_with_a_reason(topics: Any) -> None:
    event = request()
    event["ResourceProperties"]["Topics"] = topics

    body = answer(event, FakeTopicAdmin())

    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("InvalidTopics: ")
    assert body["PhysicalResourceId"] == f"{CLUSTER_ARN}/topics"


def test_an_unreachable_cluster_fails_with_the_reason_instead_of_no_answer() -> None:
    def unreachable() -> FakeTopicAdmin:
        raise ConnectionError("no route to the brokers")

    event = CustomResourceRequest.model_validate(request())
    body = handle_kafka_topics.answer(event, unreachable)

    assert body["Status"] == "FAILED"
    assert body["Reason"] == "ConnectionError: no route to the brokers"


def test_delete_keeps_the_topics_and_answers_success_without_connecting() -> None:
    def never() -> FakeTopicAdmin:
        raise AssertionError("Delete must not connect to the cluster")

    event = CustomResourceRequest.model_validate(request("Delete"))
    body = handle_kafka_topics.answer(event, never)

    assert body["Status"] == "SUCCESS"
    assert body["PhysicalResourceId"] == f"{CLUSTER_ARN}/topics"


def test_a_new_cluster_is_a_new_physical_id() -> None:
    event = request("Update")
    event["ResourceProperties"]["ClusterArn"] = CLUSTER_ARN.replace("abc", "def")

    body = answer(event, FakeTopicAdmin())

    assert body["PhysicalResourceId"] == f"{CLUSTER_ARN.replace('abc', 'def')}/topics"


def test_the_response_is_put_as_json_without_a_content_type_and_under_4096_bytes() -> None:
    sent: list[tuple[str, bytes, dict[str, str]]] = []
    reasoned = CustomResourceRequest.model_validate(request()).response("FAILED", "p", "x" * 5000)

    send_response("https://responses.example/put", reasoned, put=lambda *a: sent.append(a))

    [(url, data, headers)] = sent
    assert url == "https://responses.example/put"
    assert json.loads(data) == reasoned
    assert headers == {"Content-Type": "", "Content-Length": str(len(data))}
    assert len(data) < 4096


def test_the_handler_answers_on_the_response_url(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = FakeTopicAdmin()
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        handle_kafka_topics.ConfluentTopicAdmin, "from_environment", lambda timeout_s: admin
    )
    monkeypatch.setattr(
        handle_kafka_topics, "send_response", lambda url, body: sent.append((url, body))
    )

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 60_000

    handle_kafka_topics.handler(request(), Context())

    assert sent == [
        (
            "https://responses.example/presigned?X-Amz-Signature=abc",
            answer(request(), FakeTopicAdmin(admin.partitions)),
        )
    ]
    assert admin.partitions == {"orders": 3, "orders-dead-letters": 1}
