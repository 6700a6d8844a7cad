"""Driving the order saga over the local cloud's HTTP API, for the integration and end to
end tests: pets, orders, payments and notifications as a shopper sees them, waits on
conditions (never fixed sleeps), and the few hooks into the running cloud that a test
needs to make a failure happen on purpose."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import jwt

from support import kafka_saga, rabbitmq_saga
from support.api_client import ApiClient
from support.waiting import wait_until

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

Json = dict[str, Any]
TERMINAL = frozenset({"CONFIRMED", "REJECTED", "PAYMENT_FAILED", "CANCELLED"})
SAGA_TIMEOUT_S = 30.0
CONSUMER_QUEUES = (
    "InventoryOrderEventsQueue",
    "InventoryPaymentEventsQueue",
    "OrderStatusInventoryEventsQueue",
    "OrderStatusPaymentEventsQueue",
    "OrderOffersPetEventsQueue",
    "PaymentsOrderEventsQueue",
    "NotificationsOrderEventsQueue",
    "NotificationsPaymentEventsQueue",
)
SHOPPER_PASSWORD = "PetStore-Shopper-2026"


@dataclass(frozen=True)
class Shop:
    """The running system with a client per demo user, as the `petstore` fixture has it."""

    cloud: LocalCloud
    anonymous: ApiClient
    alice: ApiClient
    bob: ApiClient
    admin: ApiClient

    def outputs(self, name: str) -> str:
        assert self.cloud.stack is not None
        return self.cloud.stack.outputs[name]


def shop_for_module(local_cloud: LocalCloud) -> Shop:
    """The running system reset, with a client per demo user: per test (the `petstore`
    fixture), or once for a module of tests that stay out of each other's way (each uses
    pets and orders of its own), since a reset costs seconds."""
    from petstore_cli.demo_users import create_demo_users, id_token

    local_cloud.reset()
    stack = local_cloud.stack
    assert stack is not None
    cognito = boto3.client("cognito-idp", endpoint_url=local_cloud.endpoint_url)
    pool_id, client_id = stack.outputs["UserPoolId"], stack.outputs["UserPoolClientId"]
    create_demo_users(cognito, pool_id)

    def client(user: str | None) -> ApiClient:
        token = id_token(cognito, client_id, user) if user else None
        return ApiClient(local_cloud.api_url, stack.region, token)

    return Shop(local_cloud, client(None), client("alice"), client("bob"), client("admin"))


def add_pet(shop: Shop, stock: int, price: str = "25.00") -> str:
    details = {
        "name": "Saga",
        "species": "dog",
        "price": {"amount": price, "currency": "EUR"},
        "stock": stock,
    }
    created = shop.admin.post("/pets", details)
    assert created.status_code == 201, created.text
    pet_id: str = created.json()["id"]
    wait_until_orderable(shop, pet_id)
    return pet_id


def wait_until_orderable(shop: Shop, pet_id: str) -> None:
    """The orders service sells a pet once the pet's pet.changed event reached it."""
    wait_until(
        lambda: shop.anonymous.get(f"/orders/offers/{pet_id}").status_code == 200,
        timeout_s=SAGA_TIMEOUT_S,
        what=f"pet {pet_id} on sale in the orders service",
    )


def stock_of(shop: Shop, pet_id: str) -> int:
    stock: int = shop.anonymous.get(f"/pets/{pet_id}").json()["stock"]
    return stock


def place_order(
    shopper: ApiClient, pet_id: str, token: str = "tok_visa", quantity: int = 1
) -> Json:
    placed = shopper.post("/orders", {"petId": pet_id, "quantity": quantity, "paymentToken": token})
    assert placed.status_code == 201, placed.text
    order: Json = placed.json()
    return order


def order_of(shopper: ApiClient, order_id: str) -> Json:
    answer = shopper.get(f"/orders/{order_id}")
    assert answer.status_code == 200, answer.text
    order: Json = answer.json()
    return order


def wait_for_status(
    shopper: ApiClient, order_id: str, statuses: frozenset[str] | set[str] = TERMINAL
) -> Json:
    """The order once it is in one of `statuses`."""

    def settled() -> Json | None:
        order = order_of(shopper, order_id)
        return order if order["status"] in statuses else None

    order = wait_until(settled, timeout_s=SAGA_TIMEOUT_S, what=f"order {order_id} in {statuses}")
    assert order is not None
    return order


def payments_of(shopper: ApiClient, order_id: str) -> list[Json]:
    """The order's payment attempts; none when payments never saw the order."""
    answer = shopper.get(f"/payments/order/{order_id}")
    if answer.status_code == 404:
        return []
    assert answer.status_code == 200, answer.text
    items: list[Json] = answer.json()["items"]
    return items


def notifications_of(shopper: ApiClient, user_id: str) -> list[Json]:
    """All of the user's notifications, every page."""
    notifications: list[Json] = []
    query = "?limit=100"
    while True:
        answer = shopper.get(f"/notifications/user/{user_id}{query}")
        assert answer.status_code == 200, answer.text
        page = answer.json()
        notifications += page["items"]
        if not page.get("nextToken"):
            return notifications
        query = f"?limit=100&nextToken={page['nextToken']}"


def subjects_about(shopper: ApiClient, user_id: str, order_id: str) -> list[str]:
    return sorted(
        item["subject"]
        for item in notifications_of(shopper, user_id)
        if item.get("orderId") == order_id
    )


def wait_for_subjects(shopper: ApiClient, user_id: str, order_id: str, expected: list[str]) -> None:
    """Until the user's notifications about the order are exactly `expected`."""
    wait_until(
        lambda: subjects_about(shopper, user_id, order_id) == sorted(expected),
        timeout_s=SAGA_TIMEOUT_S,
        what=f"notifications {expected} about order {order_id}",
    )


def user_id_of(shopper: ApiClient) -> str:
    """The `sub` of the client's ID token: the user id the API knows the shopper by."""
    token = str(shopper._session.headers["Authorization"]).removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})
    return str(claims["sub"])


def aws(shop: Shop, service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service, endpoint_url=shop.cloud.endpoint_url, region_name=shop.cloud.config.region
    )


def resource(shop: Shop, logical_id: str) -> str:
    """What `!Ref` gives for a template resource (a queue's URL, a topic's ARN...)."""
    assert shop.cloud.stack is not None
    return shop.cloud.stack.physical_ids[logical_id]


def wait_until_queues_drained(shop: Shop, queues: tuple[str, ...] = CONSUMER_QUEUES) -> None:
    """Until no consumer queue holds a message, visible or in flight, twice in a row (over
    Kafka: until every consumer group has committed every record of its topic)."""
    if kafka_saga.uses_kafka(shop.cloud):
        kafka_saga.wait_until_caught_up(shop.cloud, SAGA_TIMEOUT_S)
        return
    if rabbitmq_saga.uses_rabbitmq(shop.cloud):
        rabbitmq_saga.wait_until_drained(shop.cloud, SAGA_TIMEOUT_S)
        return
    sqs = aws(shop, "sqs")

    def in_queues() -> int:
        total = 0
        for queue in queues:
            attributes = sqs.get_queue_attributes(
                QueueUrl=resource(shop, queue),
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
            total += sum(int(value) for value in attributes.values())
        return total

    wait_until(
        lambda: in_queues() == 0 and in_queues() == 0, timeout_s=SAGA_TIMEOUT_S, what="queues"
    )


def shopper(shop: Shop, name: str) -> ApiClient:
    """A signed-in shopper beyond the demo users, created in the emulated user pool (which
    signs users in by e-mail address: a bare name becomes name@example.com)."""
    cognito = aws(shop, "cognito-idp")
    pool_id, client_id = shop.outputs("UserPoolId"), shop.outputs("UserPoolClientId")
    email = name if "@" in name else f"{name}@example.com"
    cognito.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
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


class EventTap:
    """A queue subscribed to every topic with no filter: what the services published
    (over Kafka: a reader of every event topic)."""

    def __init__(self, shop: Shop) -> None:
        self._broker_tap: kafka_saga.KafkaTap | rabbitmq_saga.RabbitMQTap | None = None
        if kafka_saga.uses_kafka(shop.cloud):
            self._broker_tap = kafka_saga.KafkaTap(shop.cloud)
        elif rabbitmq_saga.uses_rabbitmq(shop.cloud):
            self._broker_tap = rabbitmq_saga.RabbitMQTap(shop.cloud)
        if self._broker_tap is not None:
            return
        self._sqs = aws(shop, "sqs")
        self._url = self._sqs.create_queue(QueueName="saga-test-tap")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns = aws(shop, "sns")
        for topic in ("OrdersTopic", "PaymentsTopic", "NotificationsTopic"):
            sns.subscribe(
                TopicArn=resource(shop, topic),
                Protocol="sqs",
                Endpoint=arn,
                Attributes={"RawMessageDelivery": "true"},
            )
        self.seen: list[Json] = []

    def events(self) -> list[Json]:
        """Everything published so far (envelopes as JSON documents)."""
        if self._broker_tap is not None:
            return self._broker_tap.events()
        while True:
            messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return list(self.seen)
            for message in messages:
                self.seen.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])

    def about(self, order_id: str, event_type: str | None = None) -> list[Json]:
        return [
            event
            for event in self.events()
            if event["correlationId"] == order_id and event_type in (None, event["type"])
        ]


def publish_again(shop: Shop, event: Json) -> None:
    """Publish an envelope to its family's topic again, as a repeated delivery would."""
    if kafka_saga.uses_kafka(shop.cloud):
        kafka_saga.publish_again(shop.cloud, event)
        return
    if rabbitmq_saga.uses_rabbitmq(shop.cloud):
        rabbitmq_saga.publish_again(shop.cloud, event)
        return
    topic = {"order": "OrdersTopic", "inventory": "OrdersTopic", "payment": "PaymentsTopic"}[
        event["type"].split(".")[0]
    ]
    aws(shop, "sns").publish(
        TopicArn=resource(shop, topic),
        Message=json.dumps(event),
        MessageAttributes={"type": {"DataType": "String", "StringValue": event["type"]}},
    )


def send_to_consumer(shop: Shop, queue: str, bodies: list[str]) -> None:
    """Messages straight into a consumer's queue, in one batch (over Kafka: records of the
    topic that consumer reads, on one partition)."""
    if kafka_saga.uses_kafka(shop.cloud):
        kafka_saga.send_to_consumer(shop.cloud, queue, bodies)
        return
    if rabbitmq_saga.uses_rabbitmq(shop.cloud):
        rabbitmq_saga.send_to_consumer(shop.cloud, queue, bodies)
        return
    aws(shop, "sqs").send_message_batch(
        QueueUrl=resource(shop, queue),
        Entries=[{"Id": str(index), "MessageBody": body} for index, body in enumerate(bodies)],
    )


def dead_letters(shop: Shop, dead_letter_queue: str) -> list[str]:
    """The bodies in a consumer's dead-letter queue (over Kafka: its dead-letter topic)."""
    if kafka_saga.uses_kafka(shop.cloud):
        return kafka_saga.dead_letters(shop.cloud, dead_letter_queue)
    if rabbitmq_saga.uses_rabbitmq(shop.cloud):
        return rabbitmq_saga.dead_letters(shop.cloud, dead_letter_queue)
    messages = aws(shop, "sqs").receive_message(QueueUrl=resource(shop, dead_letter_queue))
    return [message["Body"] for message in messages.get("Messages", [])]


class HeldInvocations:
    """Invocations of one function, held back until `release()`."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.arrived = threading.Event()

    def release(self) -> None:
        self.released.set()


@contextmanager
def intercepted_invocations(
    shop: Shop, function: str, intercept: Callable[[Callable[[], Any]], Any]
) -> Iterator[None]:
    """Route every invocation of `function` through `intercept(invoke_it)`; the local
    cloud's invoker is restored afterwards."""
    invoker = shop.cloud.invoker
    assert invoker is not None
    original = invoker.invoke

    def invoke(logical_id: str, event: dict[str, Any], *more: Any, **named: Any) -> Any:
        if logical_id != function:
            return original(logical_id, event, *more, **named)
        return intercept(lambda: original(logical_id, event, *more, **named))

    invoker.invoke = invoke
    try:
        yield
    finally:
        invoker.invoke = original


@contextmanager
def held_invocations(shop: Shop, function: str) -> Iterator[HeldInvocations]:
    """Hold the function's invocations (its poller waits) until the test releases them."""
    held = HeldInvocations()

    def hold(invoke_it: Callable[[], Any]) -> Any:
        held.arrived.set()
        held.released.wait(SAGA_TIMEOUT_S)
        return invoke_it()

    with intercepted_invocations(shop, function, hold):
        try:
            yield held
        finally:
            held.release()
