"""SNS subscriptions are read from a copy, so a Subscribe on another of the emulator's
threads cannot fail a Subscribe or a Publish that is looking through them (moto's own
loop raised "OrderedDict mutated during iteration": a 500 while provisioning)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import SNSBackend, Subscription, Topic, sns_backends

from localcloud.emulator.patches import subscriptions

REGION = "us-east-1"


@pytest.fixture
def sns(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SNSBackend, Topic]]:
    """A topic with three subscriptions, on a backend made with the patch installed."""
    monkeypatch.setattr(SNSBackend, "__init__", SNSBackend.__init__)
    subscriptions.install()
    with mock_aws():
        client = boto3.client("sns", region_name=REGION)
        topic_arn = client.create_topic(Name="orders")["TopicArn"]
        for index in range(3):
            client.subscribe(
                TopicArn=topic_arn, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:1:q{index}"
            )
        backend = sns_backends[DEFAULT_ACCOUNT_ID][REGION]
        yield backend, backend.get_topic(topic_arn)


class TopicSubscribedMeanwhile:
    """A topic whose comparison, made while the backend looks through its subscriptions,
    adds one: what a Subscribe on another thread does at that moment."""

    def __init__(self, backend: SNSBackend, topic: Topic) -> None:
        self.backend, self.topic, self.arn = backend, topic, topic.arn

    def __eq__(self, other: Any) -> bool:
        endpoint = f"q{len(self.backend.subscriptions)}"
        extra = Subscription(DEFAULT_ACCOUNT_ID, self.topic, endpoint, "sqs")
        self.backend.subscriptions[extra.arn] = extra
        return other is self.topic

    __hash__ = None  # type: ignore[assignment]


def test_a_subscription_made_while_a_topics_subscriptions_are_listed_fails_nothing(
    sns: tuple[SNSBackend, Topic],
) -> None:
    backend, topic = sns
    meanwhile = TopicSubscribedMeanwhile(backend, topic)

    listed = backend._get_topic_subscriptions(meanwhile)  # type: ignore[arg-type]

    assert len(listed) == 3
    assert len(backend.subscriptions) == 6


def test_moto_alone_fails_in_that_case(sns: tuple[SNSBackend, Topic]) -> None:
    backend, topic = sns
    meanwhile = TopicSubscribedMeanwhile(backend, topic)

    with pytest.raises(RuntimeError, match="mutated during iteration"):
        [sub for sub in OrderedDict.values(backend.subscriptions) if sub.topic == meanwhile]


def test_an_existing_subscription_is_still_found(sns: tuple[SNSBackend, Topic]) -> None:
    backend, topic = sns

    found = backend._find_subscription(topic.arn, f"arn:aws:sqs:{REGION}:1:q1", "sqs")

    assert found is not None and found.endpoint == f"arn:aws:sqs:{REGION}:1:q1"
    assert backend._find_subscription(topic.arn, "arn:aws:sqs:us-east-1:1:q9", "sqs") is None


def test_a_subscription_made_while_the_table_is_read_fails_no_other_call(
    sns: tuple[SNSBackend, Topic],
) -> None:
    """SetSubscriptionAttributes (a filter policy set while provisioning) reads every
    subscription; a Subscribe on another thread meanwhile failed it with a 500."""
    backend, topic = sns
    reading = iter(backend.subscriptions.values())
    next(reading)

    backend.subscribe(topic.arn, f"arn:aws:sqs:{REGION}:1:q9", "sqs")

    assert len(list(reading)) == 2
    assert len(backend.subscriptions) == 4
