"""Each notification reaches its shopper as one e-mail through SES (moto, in-process):
to the verified address of the user pool, written from the maintainers' templates, once
however often it is delivered; never to a shopper without a verified or deliverable
address; a refused e-mail is recorded and ends in the dead-letter queue, a throttled one
is sent on the retry."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from test_notifications import notifications_page

from notifications.handlers import handle_email_feedback
from notifications.models import Notification, NotificationStatus
from support.in_process_saga import REGION, InProcessSaga, client
from support.saga_fixtures import events_of, forget_cold_start_state

SENDER = "shop@petstore.example"


def add_shopper(saga: InProcessSaga, user_id: str, email: str, verified: bool = True) -> None:
    """A user of the pool whose `sub` is the id the tests' tokens carry."""
    client("cognito-idp").admin_create_user(
        UserPoolId=saga.user_pool_id,
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true" if verified else "false"},
        ],
    )
    pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[saga.user_pool_id]
    user = pool._get_user(email)
    user.id = user_id
    user.update_attributes([{"Name": "sub", "Value": user_id}])


@pytest.fixture
def mail(saga: InProcessSaga, monkeypatch: pytest.MonkeyPatch) -> Iterator[InProcessSaga]:
    """E-mail on: a verified sender identity and configuration set, alice and bob in the pool."""
    ses = client("sesv2")
    ses.create_configuration_set(ConfigurationSetName="notifications")
    ses.create_email_identity(EmailIdentity=SENDER)
    monkeypatch.setenv("SENDER_EMAIL", SENDER)
    monkeypatch.setenv("EMAIL_CONFIGURATION_SET", "notifications")
    monkeypatch.setenv("USER_POOL_ID", saga.user_pool_id)
    add_shopper(saga, "user-alice", "alice@example.com")
    add_shopper(saga, "user-bob", "bob@example.com")
    forget_cold_start_state()
    yield saga
    forget_cold_start_state()


def mailbox(address: str) -> list[Any]:
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    return [message for message in sent if address in message.destinations["ToAddresses"]]


def email_record(saga: InProcessSaga, notification_id: str) -> dict[str, Any]:
    [item] = [
        item
        for item in saga.items("NotificationsTable")
        if item.get("notificationId", {}).get("S") == notification_id
    ]
    return {key: value["S"] for key, value in item.items() if key.startswith("email")}


def alice_notification(subject: str) -> dict[str, Any]:
    [item] = [
        item
        for item in notifications_page("alice", "user-alice").body["items"]
        if item["subject"] == subject
    ]
    return item


def refuse_sending(monkeypatch: pytest.MonkeyPatch, code: str, to: str | None = None) -> list[int]:
    """SES answers `code` (to every send, or to those to `to`); the calls it refused."""
    from petstore_shared.aws_clients import sesv2_client

    ses = sesv2_client()
    send = ses.send_email
    refused: list[int] = []

    def refusing(**request: Any) -> Any:
        if to is None or to in request["Destination"]["ToAddresses"]:
            refused.append(1)
            raise ClientError({"Error": {"Code": code, "Message": "refused"}}, "SendEmail")
        return send(**request)

    monkeypatch.setattr(ses, "send_email", refusing)
    return refused


def test_a_confirmed_order_emails_its_shopper_the_pet_quantity_and_amount(
    mail: InProcessSaga, place_order: Callable[..., str]
) -> None:
    order_id = place_order(token="tok_visa", quantity=2)

    mail.settle()

    emails = mailbox("alice@example.com")
    assert sorted(m.subject for m in emails) == [
        "Order confirmed",
        "Order received",
        "Payment received",
    ]
    [confirmed] = [m for m in emails if m.subject == "Order confirmed"]
    assert confirmed.source == SENDER
    assert order_id in confirmed.body and "2 &times; Rex" in confirmed.body
    assert "200.00 EUR" in confirmed.body
    record = email_record(mail, alice_notification("Order confirmed")["notificationId"])
    assert record["emailStatus"] == "SENT" and record["emailMessageId"]
    assert mailbox("bob@example.com") == []


def test_every_event_delivered_again_sends_no_more_email(
    mail: InProcessSaga, place_order: Callable[..., str]
) -> None:
    order_id = place_order(token="tok_decline")
    mail.settle()
    before = len(mailbox("alice@example.com"))

    mail.deliver_again(events_of(mail, order_id) * 3)
    mail.settle()

    assert len(mailbox("alice@example.com")) == before
    declined = [m for m in mailbox("alice@example.com") if m.subject == "Payment declined"]
    assert len(declined) == 1 and "What to do next" in declined[0].body


def test_a_shopper_without_a_verified_address_gets_the_notification_but_no_email(
    mail: InProcessSaga, place_order: Callable[..., str]
) -> None:
    client("cognito-idp").admin_update_user_attributes(
        UserPoolId=mail.user_pool_id,
        Username="alice@example.com",
        UserAttributes=[{"Name": "email_verified", "Value": "false"}],
    )

    place_order(token="tok_visa")
    mail.settle()

    assert mailbox("alice@example.com") == []
    confirmed = alice_notification("Order confirmed")
    assert confirmed["status"] == "SENT"
    record = email_record(mail, confirmed["notificationId"])
    assert record == {
        "emailStatus": "SKIPPED",
        "emailReason": "the shopper has no verified e-mail address",
    }


def test_an_address_ses_refuses_is_recorded_and_ends_in_the_dead_letter_queue_alone(
    mail: InProcessSaga,
    place_order: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused = refuse_sending(monkeypatch, "MessageRejected", to="alice@example.com")
    place_order(token="tok_visa", caller="alice")
    place_order(token="tok_visa", caller="bob")

    mail.settle()

    assert len(refused) == 3, "one refusal per notification: a FAILED one is not sent again"
    assert mailbox("alice@example.com") == []
    assert len(mailbox("bob@example.com")) == 3
    confirmed = alice_notification("Order confirmed")
    assert confirmed["status"] == "PENDING"
    record = email_record(mail, confirmed["notificationId"])
    assert record["emailStatus"] == "FAILED" and "MessageRejected" in record["emailReason"]
    dead = mail.dead_letters("NotificationsOrderEventsQueue")
    dead += mail.dead_letters("NotificationsPaymentEventsQueue")
    assert sorted(json.loads(body)["type"] for body in dead) == [
        "order.confirmed",
        "order.placed",
        "payment.succeeded",
    ]


def test_throttling_leaves_the_notification_pending_and_the_retry_sends_it_once(
    mail: InProcessSaga,
    place_order: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused = refuse_sending(monkeypatch, "TooManyRequestsException")
    place_order(token="tok_visa")
    mail.publish_outboxes()
    mail.deliver("order.placed")  # every receive refused: the message is left on its queue
    placed = alice_notification("Order received")
    assert placed["status"] == "PENDING" and refused
    assert email_record(mail, placed["notificationId"]) == {}
    monkeypatch.undo()
    mail.deliver_again(events_of(mail, placed["orderId"], "order.placed"))

    assert [m.subject for m in mailbox("alice@example.com")] == ["Order received"]
    assert alice_notification("Order received")["status"] == "SENT"


def test_a_bounced_address_gets_no_more_email(
    mail: InProcessSaga, place_order: Callable[..., str]
) -> None:
    bounce = {
        "eventType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": "alice@example.com"}],
        },
    }
    client("sns").publish(
        TopicArn=mail.topic_arns["EmailFeedbackTopic"], Message=json.dumps(bounce)
    )
    mail.settle()

    place_order(token="tok_visa")
    mail.settle()

    assert mailbox("alice@example.com") == []
    record = email_record(mail, alice_notification("Order confirmed")["notificationId"])
    assert record["emailStatus"] == "SKIPPED" and "bounced" in record["emailReason"]


def test_a_transient_bounce_marks_nothing(mail: InProcessSaga) -> None:
    bounce = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "a@b.c"}]},
    }
    record = {"messageId": "1", "body": json.dumps(bounce), "eventSource": "aws:sqs"}

    from support.rest_api_invocation import LambdaContextStub

    answer = handle_email_feedback.lambda_handler({"Records": [record]}, LambdaContextStub("f"))

    assert answer == {"batchItemFailures": []}
    assert not [i for i in mail.items("NotificationsTable") if i["pk"]["S"].startswith("ADDRESS#")]


def test_a_template_field_missing_is_recorded_and_not_sent(mail: InProcessSaga) -> None:
    from notifications.channels.email_channel import EmailNotSent, email_channel_from_environment
    from notifications.dal.notifications_table import notifications_table_from_environment

    notification = Notification(
        notification_id="n-1",
        user_id="user-alice",
        subject="Refund issued",
        message="We refunded it.",
        status=NotificationStatus.PENDING,
        created_at="2026-01-01T00:00:00Z",  # type: ignore[arg-type]
        template="refund_issued",
        fields={"order_id": "o-1", "pet": "p-1", "quantity": "1"},
    )
    notifications_table_from_environment().add(notification)
    channel = email_channel_from_environment()
    assert channel is not None

    for _ in range(2):
        with pytest.raises(EmailNotSent, match="needs the field 'amount'"):
            channel.deliver(notification)

    assert mailbox("alice@example.com") == []
    assert email_record(mail, "n-1")["emailStatus"] == "FAILED"
