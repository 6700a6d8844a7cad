"""The outbox publishers' DynamoDB stream mappings, as the SAM transform hands them to
CloudFormation: invoked only for new outbox items, a failing batch bisected, retried a
bounded number of times and no older than a bounded age, then given up to an encrypted
on-failure queue, so that one record can neither block its shard nor vanish unseen."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation.template import parse_template, transform_template
from localcloud.event_sources.filtering import matches_any, parse_patterns
from petstore_shared.events.catalog import Money, OrderPlaced
from petstore_shared.events.envelope import new_event
from petstore_shared.events.outbox import event_from_stream_record, outbox_item
from support.function_aliases import invoked_function

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = parse_template((PROJECT_ROOT / "template.yaml").read_text())
RESOURCES: dict[str, Any] = transform_template(TEMPLATE, PROJECT_ROOT, region="us-east-1").template[
    "Resources"
]
STREAM_RETENTION_S = 24 * 60 * 60
STREAM_MAPPINGS = sorted(
    logical_id
    for logical_id, resource in RESOURCES.items()
    if resource["Type"] == "AWS::Lambda::EventSourceMapping"
    and "StreamArn" in resource["Properties"]["EventSourceArn"].get("Fn::GetAtt", [])
)
OUTBOX_ITEM = outbox_item(
    new_event(
        OrderPlaced(
            order_id="order-1",
            user_id="user-alice",
            pet_id="pet-1",
            quantity=1,
            amount=Money(amount=Decimal("25.00"), currency="EUR"),
            payment_token="tok_visa",
        ),
        source="petstore.orders",
    )
)


def mapping(logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = RESOURCES[logical_id]["Properties"]
    return properties


def parameter_default(value: Any) -> int:
    """The default of the template parameter `value` refers to."""
    assert isinstance(value, dict) and "Ref" in value, value
    return int(TEMPLATE["Parameters"][value["Ref"]]["Default"])


def stream_record(event_name: str, pk: str, **extra: Any) -> dict[str, Any]:
    """A record as the mapping's filter sees it (the Lambda event's record)."""
    keys = {"pk": {"S": pk}, "sk": OUTBOX_ITEM["sk"]}
    image = {**OUTBOX_ITEM, **keys}
    change: dict[str, Any] = {"Keys": keys, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if event_name != "REMOVE":
        change["NewImage"] = image
    if event_name != "INSERT":
        change["OldImage"] = image
    return {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": change, **extra}


TTL_DELETE = {"userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"}}
RECORDS = {
    "a new outbox item": stream_record("INSERT", "OUTBOX#order-1"),
    "a new order": stream_record("INSERT", "ORDER#order-1"),
    "an order's update": stream_record("MODIFY", "ORDER#order-1"),
    "an outbox item's update": stream_record("MODIFY", "OUTBOX#order-1"),
    "TTL deleting a published outbox item": stream_record("REMOVE", "OUTBOX#order-1", **TTL_DELETE),
    "a deleted order": stream_record("REMOVE", "ORDER#order-1"),
}


def test_the_three_outbox_publishers_read_their_tables_streams() -> None:
    functions = {invoked_function(mapping(m)["FunctionName"], RESOURCES) for m in STREAM_MAPPINGS}

    assert functions == {
        "InventoryOutboxPublisherFunction",
        "OrdersOutboxPublisherFunction",
        "PaymentsOutboxPublisherFunction",
    }


@pytest.mark.parametrize("stream_mapping", STREAM_MAPPINGS)
@pytest.mark.parametrize("record", sorted(RECORDS))
def test_only_new_outbox_items_invoke_the_publisher_which_publishes_each_of_them(
    stream_mapping: str, record: str
) -> None:
    patterns = parse_patterns(mapping(stream_mapping)["FilterCriteria"])

    invoked = matches_any(patterns, RECORDS[record])

    assert invoked == (record == "a new outbox item")
    # nothing the publisher would publish is filtered out
    assert invoked == (event_from_stream_record(RECORDS[record]) is not None)


@pytest.mark.parametrize("stream_mapping", STREAM_MAPPINGS)
def test_a_failing_batch_is_bisected_and_retried_a_bounded_number_of_times(
    stream_mapping: str,
) -> None:
    properties = mapping(stream_mapping)

    assert properties["BisectBatchOnFunctionError"] is True
    assert 0 <= parameter_default(properties["MaximumRetryAttempts"]) <= 100
    age = parameter_default(properties["MaximumRecordAgeInSeconds"])
    assert 60 <= age < STREAM_RETENTION_S
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize("stream_mapping", STREAM_MAPPINGS)
def test_given_up_records_go_to_an_encrypted_queue_of_the_publishers_own(
    stream_mapping: str,
) -> None:
    destination = mapping(stream_mapping)["DestinationConfig"]["OnFailure"]["Destination"]
    queue, attribute = destination["Fn::GetAtt"]
    function = invoked_function(mapping(stream_mapping)["FunctionName"], RESOURCES)

    assert attribute == "Arn"
    assert RESOURCES[queue]["Type"] == "AWS::SQS::Queue"
    assert RESOURCES[queue]["Properties"]["SqsManagedSseEnabled"] is True
    assert queue == function.removesuffix("Function") + "FailuresQueue"
    others = [m for m in STREAM_MAPPINGS if m != stream_mapping]
    assert all(
        mapping(m)["DestinationConfig"]["OnFailure"]["Destination"] != destination for m in others
    )
