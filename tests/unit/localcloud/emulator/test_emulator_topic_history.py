"""An SNS topic in the emulator keeps nothing of what was published to it (moto kept every
message for ever), while its subscribers still get every message."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import Topic, sns_backends

from localcloud.emulator.patches import topic_history

REGION = "us-east-1"


@pytest.fixture
def patched() -> Iterator[None]:
    topic_history.install()
    try:
        yield
    finally:
        Topic.__init__ = topic_history.MOTO_TOPIC_INIT  # type: ignore[method-assign]


def test_published_messages_reach_the_subscriber_and_are_not_kept_by_the_topic(
    patched: None,
) -> None:
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic_arn = sns.create_topic(Name="orders")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="orders-consumer")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        for number in range(5):
            sns.publish(TopicArn=topic_arn, Message=f"order {number}")

        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
        topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].get_topic(topic_arn)

        assert sorted(message["Body"] for message in received) == [
            f"order {number}" for number in range(5)
        ]
        assert list(topic.sent_notifications) == []


def test_without_the_patch_moto_keeps_every_published_message() -> None:
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        topic_arn = sns.create_topic(Name="orders")["TopicArn"]
        sns.publish(TopicArn=topic_arn, Message="kept")
        topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].get_topic(topic_arn)

        assert [notification[1] for notification in topic.sent_notifications] == ["kept"]
