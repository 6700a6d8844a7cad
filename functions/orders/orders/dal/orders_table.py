"""Orders in the orders table: create (with the order's first event), apply a state
transition (with its history entry and event), read, and list by user."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from orders.dal.order_items import (
    ORDER_SORT_KEY,
    history_to_item,
    order_from_item,
    order_key,
    order_partition_key,
    order_to_item,
    order_with_history,
    request_key,
    user_partition_key,
)
from orders.models import HistoryEntry, Order, OrderWithHistory
from orders.settings import OrdersSettings
from orders.state_machine import Transition
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.dynamodb_transactions import (
    TransactionCancelled,
    transact_write,
    transact_write_if_first_holds,
)
from petstore_shared.events.envelope import Event
from petstore_shared.events.outbox import outbox_put
from petstore_shared.item_timestamps import format_timestamp
from petstore_shared.page_tokens import query_newest_first
from petstore_shared.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

USER_INDEX = "byUser"


@dataclass(frozen=True)
class OrderRequest:
    """An `Idempotency-Key` of a shopper and the order it created."""

    user_id: str
    idempotency_key: str
    fingerprint: str


@dataclass(frozen=True)
class RecordedRequest:
    order_id: str
    fingerprint: str


class OrderRequestSeen(Exception):
    def __init__(self, recorded: RecordedRequest):
        super().__init__(f"The request created order {recorded.order_id} already")
        self.recorded = recorded


@dataclass(frozen=True)
class StatusChange:
    """A transition to apply: its history entry says when, why and caused by what."""

    entry: HistoryEntry
    attempt: int
    event: Event[Any]


class OrdersTable:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self._client = client
        self._table_name = table_name

    def create_order(
        self,
        order: Order,
        placed_entry: HistoryEntry,
        placed: Event[Any],
        request: OrderRequest | None = None,
    ) -> None:
        """The order, its first history entry and its order.placed event, and the
        request's idempotency record: all or nothing. OrderRequestSeen if the shopper's
        Idempotency-Key created an order already."""
        items: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table_name,
                    "Item": order_to_item(order),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            self._history_put(order.order_id, placed_entry),
            outbox_put(self._table_name, placed),
        ]
        if request is not None:
            items.append(self._request_put(order, request))
        try:
            transact_write(self._client, items)
        except TransactionCancelled as cancelled:
            seen = cancelled.old_item(3) if request is not None else None
            if seen is None:
                raise
            raise OrderRequestSeen(_recorded_request(seen)) from cancelled

    def find_request(self, user_id: str, idempotency_key: str) -> RecordedRequest | None:
        response = self._client.get_item(
            TableName=self._table_name,
            Key=request_key(user_id, idempotency_key),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return _recorded_request(item) if item else None

    def find_order(self, order_id: str) -> Order | None:
        response = self._client.get_item(
            TableName=self._table_name, Key=order_key(order_id), ConsistentRead=True
        )
        item = response.get("Item")
        return order_from_item(item) if item else None

    def find_order_with_history(self, order_id: str) -> OrderWithHistory | None:
        items: list[Any] = []
        query: dict[str, Any] = {
            "TableName": self._table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": order_partition_key(order_id)}},
            "ConsistentRead": True,
        }
        while True:
            response = self._client.query(**query)
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return order_with_history(items)
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def apply_transition(self, order_id: str, transition: Transition, change: StatusChange) -> bool:
        """Move the order to `transition.target` if it is in one of the transition's
        predecessors, with the history entry and the event; False, and nothing written,
        when it is not."""
        condition, values = _predecessor_condition(transition, change.attempt)
        return self._change_status(order_id, change, condition, values)

    def cancel(self, order: Order, change: StatusChange) -> bool:
        """Cancel the order if it is still as read (status and attempt)."""
        condition = "#status = :read_status AND attempt = :read_attempt"
        values = {
            ":read_status": {"S": order.status.value},
            ":read_attempt": {"N": str(order.attempt)},
        }
        return self._change_status(order.order_id, change, condition, values)

    def record_refund(self, order_id: str, entry: HistoryEntry) -> bool:
        """Note on a cancelled order that its payment was refunded; False if noted before."""
        return transact_write_if_first_holds(
            self._client,
            [
                {
                    "Update": {
                        "TableName": self._table_name,
                        "Key": order_key(order_id),
                        "UpdateExpression": "SET refundedAt = :at, updatedAt = :at",
                        "ConditionExpression": (
                            "attribute_exists(pk) AND attribute_not_exists(refundedAt)"
                        ),
                        "ExpressionAttributeValues": {":at": {"S": format_timestamp(entry.at)}},
                    }
                },
                self._history_put(order_id, entry),
            ],
        )

    def list_user_orders(
        self, user_id: str, limit: int, next_token: str | None
    ) -> tuple[list[Order], str | None]:
        """One page of the user's orders, newest first, and the token of the next page."""
        items, token = query_newest_first(
            self._client,
            table_name=self._table_name,
            index_name=USER_INDEX,
            partition=user_partition_key(user_id),
            sort_key=ORDER_SORT_KEY,
            limit=limit,
            next_token=next_token,
        )
        return [order_from_item(item) for item in items], token

    def _change_status(
        self, order_id: str, change: StatusChange, condition: str, values: dict[str, Any]
    ) -> bool:
        entry = change.entry
        update: dict[str, Any] = {
            "TableName": self._table_name,
            "Key": order_key(order_id),
            "UpdateExpression": (
                "SET #status = :target, attempt = :attempt, updatedAt = :at"
                + (", reason = :reason" if entry.reason else " REMOVE reason")
            ),
            "ConditionExpression": f"attribute_exists(pk) AND ({condition})",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":target": {"S": entry.status.value},
                ":attempt": {"N": str(change.attempt)},
                ":at": {"S": format_timestamp(entry.at)},
                **values,
                **({":reason": {"S": entry.reason}} if entry.reason else {}),
            },
        }
        return transact_write_if_first_holds(
            self._client,
            [
                cast("TransactWriteItemTypeDef", {"Update": update}),
                self._history_put(order_id, entry),
                outbox_put(self._table_name, change.event),
            ],
        )

    def _history_put(self, order_id: str, entry: HistoryEntry) -> TransactWriteItemTypeDef:
        return {"Put": {"TableName": self._table_name, "Item": history_to_item(order_id, entry)}}

    def _request_put(self, order: Order, request: OrderRequest) -> TransactWriteItemTypeDef:
        return {
            "Put": {
                "TableName": self._table_name,
                "Item": {
                    **request_key(request.user_id, request.idempotency_key),
                    "entity": {"S": "OrderRequest"},
                    "orderId": {"S": order.order_id},
                    "fingerprint": {"S": request.fingerprint},
                    "createdAt": {"S": format_timestamp(order.created_at)},
                },
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }


def _recorded_request(item: Any) -> RecordedRequest:
    return RecordedRequest(order_id=item["orderId"]["S"], fingerprint=item["fingerprint"]["S"])


def _predecessor_condition(transition: Transition, attempt: int) -> tuple[str, dict[str, Any]]:
    """`status IN (predecessors)` for the event's attempt, and for earlier attempts."""
    clauses, values = [], {}
    for label, comparison, statuses in (
        ("same", "=", transition.from_same_attempt),
        ("earlier", "<", transition.from_earlier_attempt),
    ):
        if not statuses:
            continue
        names = [f":{label}{index}" for index in range(len(statuses))]
        values.update(
            {
                name: {"S": status.value}
                for name, status in zip(names, sorted(statuses), strict=True)
            }
        )
        clauses.append(f"attempt {comparison} :attempt AND #status IN ({', '.join(names)})")
    # DynamoDB refuses redundant parentheses, so a single clause goes bare.
    if len(clauses) == 1:
        return clauses[0], values
    return " OR ".join(f"({clause})" for clause in clauses), values


@cache
def orders_table_from_environment() -> OrdersTable:
    return OrdersTable(dynamodb_client(), load_settings(OrdersSettings).orders_table_name)
