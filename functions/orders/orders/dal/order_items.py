"""How orders are laid out in the orders table.

    order     pk=ORDER#<orderId>  sk=ORDER                  gsi1pk=USER#<userId>
                                                            gsi1sk=<createdAt>#<orderId>
    history   pk=ORDER#<orderId>  sk=HISTORY#<at>#<status>  one per status change
    request   pk=REQUEST#<userId>#<Idempotency-Key>  sk=REQUEST  the order it created
    outbox    pk=OUTBOX#<orderId>  (petstore_shared.events.outbox)

The `byUser` index lists a shopper's orders newest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from orders.models import HistoryEntry, Order, OrderStatus, OrderWithHistory
from petstore_shared.events.catalog import Money
from petstore_shared.item_timestamps import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

Item = dict[str, "AttributeValueTypeDef"]
RawItem = Mapping[str, Any]

ORDER_SORT_KEY = "ORDER"
HISTORY_PREFIX = "HISTORY#"
USER_PREFIX = "USER#"


def order_partition_key(order_id: str) -> str:
    return f"ORDER#{order_id}"


def order_key(order_id: str) -> Item:
    return {"pk": {"S": order_partition_key(order_id)}, "sk": {"S": ORDER_SORT_KEY}}


def request_key(user_id: str, idempotency_key: str) -> Item:
    return {"pk": {"S": f"REQUEST#{user_id}#{idempotency_key}"}, "sk": {"S": "REQUEST"}}


def user_partition_key(user_id: str) -> str:
    return f"{USER_PREFIX}{user_id}"


def order_to_item(order: Order) -> Item:
    named: Item = {"petName": {"S": order.pet_name}} if order.pet_name else {}
    return {
        **order_key(order.order_id),
        **named,
        "entity": {"S": "Order"},
        "orderId": {"S": order.order_id},
        "userId": {"S": order.user_id},
        "petId": {"S": order.pet_id},
        "quantity": {"N": str(order.quantity)},
        "amount": {"N": str(order.amount.amount)},
        "currency": {"S": order.amount.currency},
        "status": {"S": order.status.value},
        "attempt": {"N": str(order.attempt)},
        "createdAt": {"S": format_timestamp(order.created_at)},
        "updatedAt": {"S": format_timestamp(order.updated_at)},
        "gsi1pk": {"S": user_partition_key(order.user_id)},
        "gsi1sk": {"S": f"{format_timestamp(order.created_at)}#{order.order_id}"},
    }


def order_from_item(item: RawItem) -> Order:
    return Order(
        order_id=item["orderId"]["S"],
        user_id=item["userId"]["S"],
        pet_id=item["petId"]["S"],
        pet_name=item["petName"]["S"] if "petName" in item else None,
        quantity=int(item["quantity"]["N"]),
        amount=Money(amount=Decimal(item["amount"]["N"]), currency=item["currency"]["S"]),
        status=OrderStatus(item["status"]["S"]),
        attempt=int(item["attempt"]["N"]),
        reason=item["reason"]["S"] if "reason" in item else None,
        refunded="refundedAt" in item,
        created_at=parse_timestamp(item["createdAt"]["S"]),
        updated_at=parse_timestamp(item["updatedAt"]["S"]),
    )


def history_to_item(order_id: str, entry: HistoryEntry) -> Item:
    item: Item = {
        "pk": {"S": order_partition_key(order_id)},
        "sk": {"S": f"{HISTORY_PREFIX}{format_timestamp(entry.at)}#{entry.status.value}"},
        "entity": {"S": "OrderHistory"},
        "status": {"S": entry.status.value},
        "at": {"S": format_timestamp(entry.at)},
        "cause": {"S": entry.cause},
    }
    if entry.reason is not None:
        item["reason"] = {"S": entry.reason}
    return item


def history_from_item(item: RawItem) -> HistoryEntry:
    return HistoryEntry(
        status=OrderStatus(item["status"]["S"]),
        at=parse_timestamp(item["at"]["S"]),
        cause=item["cause"]["S"],
        reason=item["reason"]["S"] if "reason" in item else None,
    )


def order_with_history(items: list[RawItem]) -> OrderWithHistory | None:
    """The order and its history from the items of its partition, if it has an order."""
    order_items = [item for item in items if item["sk"]["S"] == ORDER_SORT_KEY]
    if not order_items:
        return None
    history = [
        history_from_item(item) for item in items if item["sk"]["S"].startswith(HISTORY_PREFIX)
    ]
    return OrderWithHistory(**dict(order_from_item(order_items[0])), history=history)
