"""The e-mail a shopper receives, over each event transport, read from the local mailbox
(what the emulator's SES sent): one e-mail per notification however often its event is
delivered, none of alice's in bob's mailbox, a bounce from SES's mailbox simulator stops
later e-mail to that address, and SES throttling delays an e-mail without losing or
doubling it."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from localcloud.emulator.access import this_run
from localcloud.emulator.ses import throttle_sends, throttled_sends_left
from petstore_cli.mailbox import MailboxMessage, read_mailbox
from support.api_client import ApiClient
from support.saga_http import (
    SHOPPER_PASSWORD,
    EventTap,
    Shop,
    add_pet,
    aws,
    notifications_of,
    place_order,
    publish_again,
    resource,
    user_id_of,
    wait_for_status,
    wait_for_subjects,
    wait_until_queues_drained,
)
from support.waiting import wait_until

pytestmark = pytest.mark.integration

BOUNCING = "bounce@simulator.amazonses.com"
"""SES's mailbox simulator answers e-mail to this address with a permanent bounce."""


def mailbox(shop: Shop, address: str) -> list[MailboxMessage]:
    return read_mailbox(shop.cloud.endpoint_url, this_run(), shop.outputs("UserPoolId"), address)


def e_mailed_subjects(shop: Shop, address: str, order_id: str) -> list[str]:
    return sorted(m.subject for m in mailbox(shop, address) if m.order_id == order_id)


def stored_subjects(shopper: ApiClient, user_id: str, order_id: str) -> list[str]:
    return sorted(
        item["subject"]
        for item in notifications_of(shopper, user_id)
        if item.get("orderId") == order_id
    )


def wait_until_e_mailed(shop: Shop, address: str, order_id: str, subjects: list[str]) -> None:
    wait_until(
        lambda: e_mailed_subjects(shop, address, order_id) == sorted(subjects),
        timeout_s=30,
        what=f"the e-mail {subjects} about order {order_id} to {address}",
    )


def verified_shopper(shop: Shop, email: str) -> ApiClient:
    """A shopper whose e-mail address is verified, as after a confirmed sign-up."""
    cognito = aws(shop, "cognito-idp")
    pool_id, client_id = shop.outputs("UserPoolId"), shop.outputs("UserPoolClientId")
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=SHOPPER_PASSWORD, Permanent=True
    )
    signed_in = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": SHOPPER_PASSWORD},
    )
    token = signed_in["AuthenticationResult"]["IdToken"]
    return ApiClient(shop.cloud.api_url, shop.cloud.config.region, token)


def test_a_confirmation_a_decline_and_a_cancellation_each_mail_once_despite_three_deliveries(
    shop: Shop,
) -> None:
    tap = EventTap(shop)
    alice = user_id_of(shop.alice)
    confirmed = place_order(shop.alice, add_pet(shop, stock=1))["orderId"]
    declined = place_order(shop.alice, add_pet(shop, stock=1), token="tok_decline")["orderId"]
    wait_for_status(shop.alice, confirmed, {"CONFIRMED"})
    wait_for_status(shop.alice, declined, {"PAYMENT_FAILED"})
    cancelled = shop.alice.put(f"/orders/{declined}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    wait_for_status(shop.alice, declined, {"CANCELLED"})
    wait_for_subjects(
        shop.alice, alice, confirmed, ["Order confirmed", "Order received", "Payment received"]
    )
    wait_for_subjects(
        shop.alice,
        alice,
        declined,
        ["Order cancelled", "Order received", "Payment declined", "Payment failed"],
    )
    wait_until_queues_drained(shop)
    for order_id in (confirmed, declined):
        wait_until_e_mailed(
            shop, "alice@example.com", order_id, stored_subjects(shop.alice, alice, order_id)
        )

    events = [
        e for e in tap.about(confirmed) + tap.about(declined) if e["type"] != "notification.sent"
    ]
    again = events * 3
    random.Random(confirmed).shuffle(again)
    for event in again:
        publish_again(shop, event)
    wait_until_queues_drained(shop)

    alices = mailbox(shop, "alice@example.com")
    about = Counter((m.order_id, m.subject) for m in alices)
    assert about[(confirmed, "Order confirmed")] == 1
    assert about[(declined, "Payment declined")] == 1
    assert about[(declined, "Order cancelled")] == 1
    assert all(count == 1 for (order, _), count in about.items() if order in (confirmed, declined))
    declined_mail = next(m for m in alices if m.subject == "Payment declined")
    assert "card_declined" in declined_mail.body and "pay again" in declined_mail.body
    confirmed_mail = next(m for m in alices if m.subject == "Order confirmed")
    assert "25.00 EUR" in confirmed_mail.body and "1 \u00d7 Saga" in confirmed_mail.body
    bobs = mailbox(shop, "bob@example.com")
    assert not [m for m in bobs if m.order_id in (confirmed, declined)]
    assert all("alice@example.com" not in m.to for m in bobs)


def test_a_bounce_marks_the_address_and_later_notifications_are_stored_but_not_mailed(
    shop: Shop,
) -> None:
    bouncer = verified_shopper(shop, BOUNCING)
    bouncer_id = user_id_of(bouncer)
    table = resource(shop, "NotificationsTable")
    dynamodb = aws(shop, "dynamodb")
    first = place_order(bouncer, add_pet(shop, stock=1))["orderId"]
    wait_for_status(bouncer, first, {"CONFIRMED"})

    def marked() -> bool:
        item = dynamodb.get_item(
            TableName=table,
            Key={"pk": {"S": f"ADDRESS#{BOUNCING}"}, "sk": {"S": "UNDELIVERABLE"}},
            ConsistentRead=True,
        ).get("Item")
        return item is not None and "bounce" in item["reason"]["S"].lower()

    wait_until(marked, timeout_s=30, what="the bounced address marked undeliverable")
    wait_until_queues_drained(shop)
    mailed_before = len(mailbox(shop, BOUNCING))

    second = place_order(bouncer, add_pet(shop, stock=1))["orderId"]
    wait_for_status(bouncer, second, {"CONFIRMED"})
    wait_for_subjects(
        bouncer, bouncer_id, second, ["Order confirmed", "Order received", "Payment received"]
    )
    wait_until_queues_drained(shop)

    assert mailed_before >= 1
    assert len(mailbox(shop, BOUNCING)) == mailed_before
    assert not [m for m in mailbox(shop, BOUNCING) if m.order_id == second]


def test_throttled_ses_delays_each_e_mail_and_sends_it_once(shop: Shop) -> None:
    alice = user_id_of(shop.alice)
    throttle_sends(shop.cloud.endpoint_url, 2)
    try:
        order_id = place_order(shop.alice, add_pet(shop, stock=1))["orderId"]
        wait_for_status(shop.alice, order_id, {"CONFIRMED"})
        subjects = ["Order confirmed", "Order received", "Payment received"]
        wait_for_subjects(shop.alice, alice, order_id, subjects)
        wait_until_e_mailed(shop, "alice@example.com", order_id, subjects)
        wait_until_queues_drained(shop)
        left = throttled_sends_left(shop.cloud.endpoint_url)
    finally:
        throttle_sends(shop.cloud.endpoint_url, 0)

    assert left == 0, "SES throttled no send: the test proved nothing"
    assert e_mailed_subjects(shop, "alice@example.com", order_id) == sorted(subjects)
