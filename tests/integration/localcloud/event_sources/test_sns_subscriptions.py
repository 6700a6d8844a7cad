"""SNS → Lambda subscriptions on a local cloud of their own (sample_apps/sns_subscription.yaml):
each notification invokes every subscribed function once, with Lambda's SNS event, and a
subscription's filter policy (here on the message body) keeps out what it does not match;
a function that fails is tried three times in all, as Lambda retries an asynchronous
invocation twice, and the notification is then given up."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.event_sources.sns.subscription import sns_subscriptions
from support.sample_cloud import client, sample_cloud
from support.waiting import wait_until

pytestmark = pytest.mark.integration

APPS = Path(__file__).with_name("sample_apps")
STACK = "snsapp"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with sample_cloud(APPS / "sns_subscription.yaml", STACK) as started:
        yield started


def events_seen_by(cloud: LocalCloud, function: str) -> list[dict[str, Any]]:
    assert cloud.stack is not None
    table = cloud.stack.physical_ids["SeenTable"]
    items = client(cloud, "dynamodb").scan(TableName=table)["Items"]
    return [
        json.loads(item["event"]["S"])
        for item in items
        if item["function"]["S"] == f"{STACK}-{function}"
    ]


def messages_seen_by(cloud: LocalCloud, function: str) -> list[str]:
    return sorted(
        record["Sns"]["Message"]
        for event in events_seen_by(cloud, function)
        for record in event["Records"]
    )


def test_a_notification_invokes_the_subscribed_function_with_the_sns_event(
    cloud: LocalCloud,
) -> None:
    assert cloud.stack is not None
    topic = cloud.stack.outputs["AlertsTopicArn"]
    published = client(cloud, "sns").publish(
        TopicArn=topic,
        Subject="Disk",
        Message=json.dumps({"severity": "low", "text": "disk 80% full"}),
        MessageAttributes={"host": {"DataType": "String", "StringValue": "web-1"}},
    )

    [event] = wait_until(
        lambda: events_seen_by(cloud, "EveryAlertFunction"), what="the notification"
    )

    [record] = event["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    subscription = record["EventSubscriptionArn"]
    assert subscription.startswith(f"{topic}:")
    notification = record["Sns"]
    assert notification["Type"] == "Notification"
    assert notification["MessageId"] == published["MessageId"]
    assert notification["TopicArn"] == topic
    assert notification["Subject"] == "Disk"
    assert json.loads(notification["Message"]) == {"severity": "low", "text": "disk 80% full"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", notification["Timestamp"])
    assert notification["SignatureVersion"] == "1"
    assert notification["Signature"]
    assert notification["SigningCertUrl"].startswith("https://sns.us-east-1.amazonaws.com/")
    assert notification["UnsubscribeUrl"].endswith(f"SubscriptionArn={subscription}")
    assert notification["MessageAttributes"] == {"host": {"Type": "String", "Value": "web-1"}}


def test_a_filter_policy_on_the_message_body_keeps_out_what_it_does_not_match(
    cloud: LocalCloud,
) -> None:
    assert cloud.stack is not None
    sns = client(cloud, "sns")
    for severity in ("urgent-ish", "urgent", "low"):
        sns.publish(
            TopicArn=cloud.stack.outputs["AlertsTopicArn"],
            Message=json.dumps({"severity": severity, "text": f"filter {severity}"}),
        )

    def filtered_ones(function: str) -> list[str]:
        seen = [json.loads(message) for message in messages_seen_by(cloud, function)]
        return sorted(body["severity"] for body in seen if body["text"].startswith("filter"))

    wait_until(lambda: len(filtered_ones("EveryAlertFunction")) == 3, what="every notification")
    wait_until(lambda: filtered_ones("UrgentAlertFunction"), what="the urgent notification")
    wait_until(lambda: nothing_in_flight(cloud), what="every delivery handled")
    assert filtered_ones("UrgentAlertFunction") == ["urgent"]


def nothing_in_flight(cloud: LocalCloud) -> bool:
    """No notification waits for, or is in, an invocation of any subscribed function."""
    assert cloud.stack is not None
    sqs = client(cloud, "sqs")
    counts = [
        sqs.get_queue_attributes(
            QueueUrl=subscription.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        for subscription in sns_subscriptions(cloud.stack)
    ]
    return all(count == "0" for attributes in counts for count in attributes.values())


def test_a_failing_function_is_tried_three_times_then_the_notification_given_up(
    cloud: LocalCloud,
) -> None:
    assert cloud.stack is not None
    client(cloud, "sns").publish(
        TopicArn=cloud.stack.outputs["AlertsTopicArn"],
        Message=json.dumps({"severity": "low", "text": "retry me"}),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "broken"}},
    )

    wait_until(
        lambda: len(messages_seen_by(cloud, "BrokenAlertFunction")) == 3,
        what="the first attempt and two retries",
    )
    wait_until(lambda: nothing_in_flight(cloud), what="the notification given up")
    assert len(messages_seen_by(cloud, "BrokenAlertFunction")) == 3
