"""The SNS adapter of the event bus: one SNS topic per event family, the envelope as the
message, and the event `type` as a message attribute for the subscriptions' filter
policies (their queues use raw message delivery, so consumers receive the envelope)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import Field

from petstore_shared.aws_clients import prime_calls, sns_client
from petstore_shared.events.bus import TopicNotConfigured
from petstore_shared.events.envelope import Event, Topic
from petstore_shared.settings import EnvironmentSettings, load_settings

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


class SnsTopicSettings(EnvironmentSettings):
    """Each function gets the ARNs of the topics it may publish to, and no others."""

    orders_topic_arn: str | None = Field(default=None, alias="ORDERS_TOPIC_ARN")
    payments_topic_arn: str | None = Field(default=None, alias="PAYMENTS_TOPIC_ARN")
    notifications_topic_arn: str | None = Field(default=None, alias="NOTIFICATIONS_TOPIC_ARN")

    def topic_arns(self) -> dict[Topic, str]:
        configured = {
            Topic.ORDERS: self.orders_topic_arn,
            Topic.PAYMENTS: self.payments_topic_arn,
            Topic.NOTIFICATIONS: self.notifications_topic_arn,
        }
        return {topic: arn for topic, arn in configured.items() if arn}


class SnsEventBus:
    def __init__(self, client: SNSClient, topic_arns: Mapping[Topic, str]) -> None:
        self._client = client
        self._topic_arns = dict(topic_arns)

    def publish(self, event: Event[Any]) -> None:
        topic = event.data.topic
        topic_arn = self._topic_arns.get(topic)
        if topic_arn is None:
            raise TopicNotConfigured(topic)
        self._client.publish(
            TopicArn=topic_arn,
            Message=event.to_json(),
            MessageAttributes={
                "type": {"DataType": "String", "StringValue": event.type},
                "version": {"DataType": "Number", "StringValue": str(event.version)},
                "correlationId": {"DataType": "String", "StringValue": event.correlation_id},
            },
        )


@cache
def sns_event_bus_from_environment() -> SnsEventBus:
    return SnsEventBus(sns_client(), load_settings(SnsTopicSettings).topic_arns())


PRIMED_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:snapshot-priming"
"""Named in the primed publish, which never leaves the process."""
PRIMED_PUBLISH = (
    (
        "publish",
        {
            "TopicArn": PRIMED_TOPIC_ARN,
            "Message": "{}",
            "MessageAttributes": {"type": {"DataType": "String", "StringValue": "priming"}},
        },
        {"MessageId": "priming"},
    ),
)


def primed_sns_event_bus() -> SnsEventBus:
    """The adapter, with its client's publish made once against botocore's Stubber."""
    bus = sns_event_bus_from_environment()
    prime_calls(sns_client(), PRIMED_PUBLISH)
    return bus
