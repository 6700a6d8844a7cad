"""A message its consumer keeps failing ends in the dead-letter queue, the template's DLQ
alarm goes to ALARM and tells the alarm topic; once the cause is fixed, `petstore dlq
redrive` sends it back, it is processed, the queue is empty and the alarm is OK again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from localcloud.cloud import LocalCloud
from localcloud.cloudwatch.monitoring import MonitoringSettings
from petstore_cli.main import main as petstore_command
from support.saga_http import Shop, aws, notifications_of, resource, user_id_of
from support.waiting import wait_until

pytestmark = pytest.mark.integration

DLQ = "NotificationsPaymentEventsDeadLetterQueue"
DLQ_ALARM = "petstore-NotificationsPaymentEventsDeadLetterQueue-not-empty"
FAST_ALARMS = MonitoringSettings(
    sample_interval_s=0.5, queue_sample_interval_s=0.5, alarm_period_s=2, flush_interval_s=0.2
)
TEMPLATE_ALARMS = MonitoringSettings(
    sample_interval_s=0.5, queue_sample_interval_s=0.5, flush_interval_s=0.2
)
DLQ_ALARM_PERIOD_S = 60


@pytest.fixture
def fast_alarms(petstore: Shop) -> Iterator[LocalCloud]:
    """Alarms evaluated over 2 s periods, queues sampled twice a second, for this test."""
    monitoring = petstore.cloud.monitoring
    assert monitoring is not None
    usual = monitoring.settings
    monitoring.configure(FAST_ALARMS)
    yield petstore.cloud
    monitoring.configure(usual)


@pytest.fixture
def template_alarms(petstore: Shop) -> Iterator[LocalCloud]:
    """The template's alarms with their own periods, queues sampled twice a second."""
    monitoring = petstore.cloud.monitoring
    assert monitoring is not None
    usual = monitoring.settings
    monitoring.configure(TEMPLATE_ALARMS)
    yield petstore.cloud
    monitoring.configure(usual)


def refund_event(user_id: str) -> dict[str, Any]:
    return {
        "id": "d1ed1e77-0000-4000-8000-00000000dead",
        "type": "payment.refunded",
        "version": 1,
        "source": "test",
        "time": "2026-11-24T10:00:00Z",
        "correlationId": "order-poisoned",
        "data": {
            "orderId": "order-poisoned",
            "userId": user_id,
            "petId": "pet-1",
            "quantity": 1,
            "paymentId": "pay-1",
            "refundId": "re-1",
            "amount": {"amount": "10.00", "currency": "EUR"},
        },
    }


class AlarmInbox:
    """A queue subscribed to the template's alarm topic."""

    def __init__(self, shop: Shop) -> None:
        self._sqs = aws(shop, "sqs")
        self._url = self._sqs.create_queue(QueueName="alarm-inbox")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        aws(shop, "sns").subscribe(
            TopicArn=resource(shop, "AlarmTopic"), Protocol="sqs", Endpoint=arn
        )
        self.received: list[tuple[str, str]] = []

    def changes(self) -> list[tuple[str, str]]:
        """(alarm name, new state) of every notification so far."""
        messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10)
        for message in messages.get("Messages", []):
            notification = json.loads(json.loads(message["Body"])["Message"])
            self.received.append((notification["AlarmName"], notification["NewStateValue"]))
            self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
        return self.received


def alarm_state(shop: Shop, name: str) -> str:
    alarms = aws(shop, "cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return str(alarms[0]["StateValue"])


def messages_in(shop: Shop, queue: str) -> int:
    """Messages in the queue, in flight too: 0 once a consumer has deleted its message."""
    attributes = aws(shop, "sqs").get_queue_attributes(
        QueueUrl=resource(shop, queue),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def run_petstore(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert petstore_command(list(args)) == 0
    return capsys.readouterr().out


def send_a_refund_its_consumer_cannot_deliver(petstore: Shop, user_id: str) -> str:
    """The fault: the topic the notifications consumer delivers to is gone; a refund event
    for it then ends in the DLQ. Returns the deleted topic's ARN."""
    notifications_topic = resource(petstore, "NotificationsTopic")
    aws(petstore, "sns").delete_topic(TopicArn=notifications_topic)
    aws(petstore, "sqs").send_message(
        QueueUrl=resource(petstore, "NotificationsPaymentEventsQueue"),
        MessageBody=json.dumps(refund_event(user_id)),
        MessageAttributes={"type": {"DataType": "String", "StringValue": "payment.refunded"}},
    )
    return notifications_topic


def test_a_poison_message_alarms_and_redrive_after_the_fix_clears_the_alarm(
    petstore: Shop,
    fast_alarms: LocalCloud,
    cli_state: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sns = aws(petstore, "sns")
    inbox = AlarmInbox(petstore)
    alice = user_id_of(petstore.alice)
    notifications_topic = send_a_refund_its_consumer_cannot_deliver(petstore, alice)

    wait_until(lambda: alarm_state(petstore, DLQ_ALARM) == "ALARM", timeout_s=30, what="ALARM")
    wait_until(lambda: (DLQ_ALARM, "ALARM") in inbox.changes(), what="the ALARM notification")
    listed = run_petstore(capsys, "dlq", "list")
    assert any(DLQ in line and line.split()[1] == "1" for line in listed.splitlines())
    assert fast_alarms.monitoring is not None and fast_alarms.monitoring.flush()
    shown = run_petstore(capsys, "dlq", "show", DLQ)
    assert "payment.refunded (order order-poisoned)" in shown
    assert "NotFound" in shown, shown

    sns.create_topic(Name=notifications_topic.rsplit(":", 1)[-1])
    redriven = run_petstore(capsys, "dlq", "redrive", DLQ)

    assert redriven.startswith("Moved 1 message back")
    wait_until(
        lambda: [n["status"] for n in notifications_of(petstore.alice, alice)] == ["SENT"],
        what="the redriven refund notification sent",
    )
    wait_until(lambda: alarm_state(petstore, DLQ_ALARM) == "OK", timeout_s=30, what="OK")
    wait_until(lambda: (DLQ_ALARM, "OK") in inbox.changes(), what="the OK notification")
    assert "  0  " in next(
        line for line in run_petstore(capsys, "dlq", "list").splitlines() if DLQ in line
    )


def test_the_template_dlq_alarm_with_its_own_period_alarms_and_clears_after_redrive(
    petstore: Shop,
    template_alarms: LocalCloud,
    cli_state: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No period override: the alarm's own minute. The message is in the DLQ now, so the
    current minute breaches at once; after the redrive the clock moves past that minute
    (the samples of the full DLQ fall out of the window, as they would a minute later)."""
    monitoring = template_alarms.monitoring
    assert monitoring is not None
    sns = aws(petstore, "sns")
    inbox = AlarmInbox(petstore)
    alice = user_id_of(petstore.alice)
    notifications_topic = send_a_refund_its_consumer_cannot_deliver(petstore, alice)

    wait_until(lambda: alarm_state(petstore, DLQ_ALARM) == "ALARM", timeout_s=30, what="ALARM")
    wait_until(lambda: (DLQ_ALARM, "ALARM") in inbox.changes(), what="the ALARM notification")

    sns.create_topic(Name=notifications_topic.rsplit(":", 1)[-1])
    assert run_petstore(capsys, "dlq", "redrive", DLQ).startswith("Moved 1 message back")
    wait_until(
        lambda: messages_in(petstore, "NotificationsPaymentEventsQueue") == 0,
        what="the redriven message processed",
    )
    assert messages_in(petstore, DLQ) == 0
    monitoring.configure(replace(TEMPLATE_ALARMS, clock_ahead_s=DLQ_ALARM_PERIOD_S + 1))

    wait_until(lambda: alarm_state(petstore, DLQ_ALARM) == "OK", timeout_s=30, what="OK")
    wait_until(lambda: (DLQ_ALARM, "OK") in inbox.changes(), what="the OK notification")
