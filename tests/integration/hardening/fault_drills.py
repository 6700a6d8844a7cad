"""What the fault-injection tests do to the running cloud and read back from it: the
fault switch, a function's invocation results, queue depths and an operator's redrive."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from load.saga_invariants import TrackedOrder

from localcloud.model import InvocationResult
from localcloud.testing.faults import StoreFaults
from support.api_client import ApiClient
from support.saga_http import Shop, aws, intercepted_invocations, place_order, resource
from support.waiting import wait_until


def faults_of(shop: Shop) -> StoreFaults:
    faults = shop.cloud.faults
    assert faults is not None, "the cloud was started without inject_faults"
    return faults


@contextmanager
def store_fault(shop: Shop) -> Iterator[StoreFaults]:
    """The fault switch, always cleared at the end, whatever the test did."""
    faults = faults_of(shop)
    try:
        yield faults
    finally:
        faults.clear()


@contextmanager
def recorded_invocations(shop: Shop, function: str) -> Iterator[list[InvocationResult]]:
    """Every result of the function's invocations while the block runs."""
    results: list[InvocationResult] = []

    def record(invoke_it: Any) -> InvocationResult:
        result: InvocationResult = invoke_it()
        results.append(result)
        return result

    with intercepted_invocations(shop, function, record):
        yield results


@contextmanager
def event_sources_disabled(shop: Shop, *functions: str) -> Iterator[None]:
    """The functions' queues fill up unread until the block ends (or the test enables
    them earlier)."""
    for function in functions:
        shop.cloud.disable_event_sources(function)
    try:
        yield
    finally:
        for function in functions:
            shop.cloud.enable_event_sources(function)


def queue_depth(shop: Shop, queue: str) -> int:
    """Messages in the queue, visible or in flight."""
    attributes = aws(shop, "sqs").get_queue_attributes(
        QueueUrl=resource(shop, queue),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def wait_for_depth(shop: Shop, queue: str, depth: int, timeout_s: float = 20.0) -> None:
    wait_until(
        lambda: queue_depth(shop, queue) == depth,
        timeout_s=timeout_s,
        what=f"{depth} messages in {queue}",
    )


@contextmanager
def visibility_timeout(shop: Shop, queues: tuple[str, ...], seconds: int) -> Iterator[None]:
    """The queues hide a received message for `seconds` while the block runs."""
    sqs = aws(shop, "sqs")
    urls = [resource(shop, queue) for queue in queues]
    before = [
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"][
            "VisibilityTimeout"
        ]
        for url in urls
    ]
    for url in urls:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(seconds)})
    try:
        yield
    finally:
        for url, value in zip(urls, before, strict=True):
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": value})


def redrive(shop: Shop, dead_letter_queue: str, queue: str) -> int:
    """Move every message of the dead-letter queue back to its queue, as an operator's
    redrive does; returns how many moved."""
    sqs = aws(shop, "sqs")
    source, target = resource(shop, dead_letter_queue), resource(shop, queue)
    moved = 0
    while messages := sqs.receive_message(
        QueueUrl=source, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        for message in messages:
            sqs.send_message(
                QueueUrl=target,
                MessageBody=message["Body"],
                MessageAttributes=message.get("MessageAttributes", {}),
            )
            sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def pet_stock_in_table(shop: Shop, pet_id: str) -> int:
    """The stock as stored, read from the emulator directly (past the fault switch)."""
    from pets.dal.pet_items import pet_key

    item = aws(shop, "dynamodb").get_item(
        TableName=resource(shop, "PetsTable"), Key=pet_key(pet_id), ConsistentRead=True
    )["Item"]
    return int(item["stock"]["N"])


def place_orders(
    shopper: ApiClient, pet_id: str, count: int, token: str = "tok_visa"
) -> list[TrackedOrder]:
    return [
        TrackedOrder(place_order(shopper, pet_id, token)["orderId"], pet_id, 1, shopper)
        for _ in range(count)
    ]
