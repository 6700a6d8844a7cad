"""Payments and order ledgers in the payments table. Every decision about an order's
money is a conditional write on its ledger item, together with the payment it touches
and the event announcing it (outbox), in one transaction."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from payments.dal.payment_items import (
    ledger_from_item,
    ledger_key,
    ledger_to_item,
    order_partition_key,
    payment_from_item,
    payment_key,
    payment_to_item,
)
from payments.models import ChargeState, OrderLedger, Payment, PaymentStatus
from payments.settings import PaymentsSettings
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.dynamodb_transactions import transact_write_if_first_holds
from petstore_shared.events.catalog import OrderRef
from petstore_shared.events.envelope import Event
from petstore_shared.events.outbox import outbox_put
from petstore_shared.item_timestamps import format_timestamp
from petstore_shared.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

ORDER_INDEX = "byOrder"
NOT_CANCELLED = "attribute_not_exists(cancelledAt)"
NOT_REJECTED = "attribute_not_exists(rejectedAt)"


class PaymentsTable:
    def __init__(self, client: DynamoDBClient, table_name: str):
        self._client = client
        self._table_name = table_name

    # ---------------------------------------------------------------- reads
    def find_ledger(self, order_id: str) -> OrderLedger | None:
        item = self._get(ledger_key(order_id))
        return ledger_from_item(item) if item else None

    def find_payment(self, payment_id: str) -> Payment | None:
        item = self._get(payment_key(payment_id))
        return payment_from_item(item) if item else None

    def list_order_payments(self, order_id: str) -> list[Payment]:
        response = self._client.query(
            TableName=self._table_name,
            IndexName=ORDER_INDEX,
            KeyConditionExpression="gsi1pk = :order",
            ExpressionAttributeValues={":order": {"S": order_partition_key(order_id)}},
        )
        return [payment_from_item(item) for item in response.get("Items", [])]

    # ---------------------------------------------------------------- charging
    def start_first_charge(self, ledger: OrderLedger, payment: Payment, at: datetime) -> bool:
        """Open the order's ledger at attempt 1, CHARGING, with its pending payment;
        False if the order has a ledger already (charged, or cancelled first)."""
        return self._transact_if(
            {
                "Put": {
                    "TableName": self._table_name,
                    "Item": ledger_to_item(ledger, at),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table_name,
                    "Item": payment_to_item(payment),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        )

    def start_retry_charge(self, order_id: str, attempt: int, at: datetime) -> bool:
        """CHARGING for a requested retry, unless the order was cancelled meanwhile."""
        return self._transact_if(
            self._ledger_update(
                order_id,
                "SET chargeState = :charging, updatedAt = :at",
                f"attempt = :attempt AND chargeState = :requested AND {NOT_CANCELLED}",
                {
                    ":charging": ChargeState.CHARGING,
                    ":requested": ChargeState.RETRY_REQUESTED,
                    ":attempt": attempt,
                    ":at": at,
                },
            )
        )

    def count_charge_attempt(self, payment_id: str) -> int:
        """One more try at the provider for this payment; how many tries that makes."""
        response = self._client.update_item(
            TableName=self._table_name,
            Key=payment_key(payment_id),
            UpdateExpression="ADD providerAttempts :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["providerAttempts"]["N"])

    def record_charge_succeeded(
        self, order_id: str, attempt: int, payment_id: str, charge_id: str, event: Event[Any]
    ) -> bool:
        """The approved charge, if this attempt is still the one CHARGING."""
        return self._transact_if(
            self._charging_ledger_update(
                order_id,
                attempt,
                "SET chargeState = :settled, succeededPaymentId = :payment, updatedAt = :at",
                {":settled": ChargeState.SUCCEEDED, ":payment": payment_id, ":at": event.time},
            ),
            self._payment_update(
                payment_id,
                "SET #status = :status, chargeId = :charge, updatedAt = :at",
                {":status": PaymentStatus.SUCCEEDED, ":charge": charge_id, ":at": event.time},
            ),
            outbox_put(self._table_name, event),
        )

    def record_charge_failed(
        self, order_id: str, attempt: int, payment_id: str, reason: str, event: Event[Any]
    ) -> bool:
        """The failed charge, if this attempt is still the one CHARGING."""
        return self._transact_if(
            self._charging_ledger_update(
                order_id,
                attempt,
                "SET chargeState = :settled, updatedAt = :at",
                {":settled": ChargeState.FAILED, ":at": event.time},
            ),
            self._payment_update(
                payment_id,
                "SET #status = :status, reason = :reason, updatedAt = :at",
                {":status": PaymentStatus.FAILED, ":reason": reason, ":at": event.time},
            ),
            outbox_put(self._table_name, event),
        )

    # ---------------------------------------------------------------- cancellation
    def mark_cancelled(self, order: OrderRef, at: datetime) -> OrderLedger:
        """Note the order's cancellation on its ledger (creating it if no charge ever
        started, so that none will); the ledger as it is now."""
        return self._mark_final(order, "cancelledAt", at)

    def mark_rejected(self, order: OrderRef, at: datetime) -> OrderLedger:
        """Note that the order ended REJECTED (its stock could not be reserved), creating
        the ledger if no charge ever started; the ledger as it is now."""
        return self._mark_final(order, "rejectedAt", at)

    def _mark_final(self, order: OrderRef, marker: str, at: datetime) -> OrderLedger:
        try:
            response = self._client.update_item(
                TableName=self._table_name,
                Key=ledger_key(order.order_id),
                UpdateExpression=(
                    f"SET {marker} = :at, orderId = :order, "
                    "userId = if_not_exists(userId, :user), petId = if_not_exists(petId, :pet), "
                    "quantity = if_not_exists(quantity, :quantity), entity = :entity, "
                    "createdAt = if_not_exists(createdAt, :at), updatedAt = :at"
                ),
                ConditionExpression=f"attribute_not_exists({marker})",
                ExpressionAttributeValues=_values(
                    {
                        ":at": at,
                        ":order": order.order_id,
                        ":user": order.user_id,
                        ":pet": order.pet_id,
                        ":quantity": order.quantity,
                        ":entity": "OrderLedger",
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            marked_before = self.find_ledger(order.order_id)
            assert marked_before is not None
            return marked_before
        return ledger_from_item(response["Attributes"])

    def drop_requested_retry(
        self, order_id: str, attempt: int, payment_id: str, now: datetime, reason: str | None = None
    ) -> bool:
        """A retry requested but not charged before the order was cancelled (or rejected)
        never is."""
        return self._transact_if(
            self._ledger_update(
                order_id,
                "SET chargeState = :dropped, updatedAt = :at",
                "attempt = :attempt AND chargeState = :requested",
                {
                    ":dropped": ChargeState.RETRY_DROPPED,
                    ":requested": ChargeState.RETRY_REQUESTED,
                    ":attempt": attempt,
                    ":at": now,
                },
            ),
            self._payment_update(
                payment_id,
                "SET #status = :status, updatedAt = :at" + (", reason = :reason" if reason else ""),
                {":status": PaymentStatus.CANCELLED, ":at": now}
                | ({":reason": reason} if reason else {}),
            ),
        )

    def record_refund(
        self, order_id: str, payment_id: str, refund_id: str, event: Event[Any]
    ) -> bool:
        """The succeeded payment is refunded: at most once per order."""
        return self._transact_if(
            self._ledger_update(
                order_id,
                "SET refundedAt = :at, updatedAt = :at",
                "attribute_not_exists(refundedAt) AND succeededPaymentId = :payment",
                {":payment": payment_id, ":at": event.time},
            ),
            self._payment_update(
                payment_id,
                "SET #status = :status, refundId = :refund, updatedAt = :at",
                {":status": PaymentStatus.REFUNDED, ":refund": refund_id, ":at": event.time},
            ),
            outbox_put(self._table_name, event),
        )

    # ---------------------------------------------------------------- retries
    def mark_retryable(self, order_id: str, attempt: int, at: datetime) -> bool:
        """The orders service marked the order PAYMENT_FAILED at this attempt: from now on
        it cannot be cancelled, and its shopper may retry the payment."""
        return self._transact_if(
            self._ledger_update(
                order_id,
                "SET retryableAttempt = :attempt, updatedAt = :at",
                "attempt = :attempt AND chargeState = :failed",
                {":attempt": attempt, ":failed": ChargeState.FAILED, ":at": at},
            )
        )

    def request_retry(self, failed: OrderLedger, payment: Payment, event: Event[Any]) -> bool:
        """The next attempt, with its pending payment, if the failed one is still the
        latest, retryable and the order not cancelled."""
        return self._transact_if(
            self._ledger_update(
                failed.order_id,
                "SET attempt = :next, chargeState = :requested, updatedAt = :at",
                "attempt = :failed_attempt AND chargeState = :failed "
                f"AND retryableAttempt = :failed_attempt AND {NOT_CANCELLED} AND {NOT_REJECTED}",
                {
                    ":next": payment.attempt,
                    ":requested": ChargeState.RETRY_REQUESTED,
                    ":failed_attempt": failed.attempt,
                    ":failed": ChargeState.FAILED,
                    ":at": payment.created_at,
                },
            ),
            {
                "Put": {
                    "TableName": self._table_name,
                    "Item": payment_to_item(payment),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            outbox_put(self._table_name, event),
        )

    # ---------------------------------------------------------------- helpers
    def _charging_ledger_update(
        self, order_id: str, attempt: int, update: str, values: dict[str, Any]
    ) -> TransactWriteItemTypeDef:
        return self._ledger_update(
            order_id,
            update,
            "attempt = :attempt AND chargeState = :charging",
            {":attempt": attempt, ":charging": ChargeState.CHARGING, **values},
        )

    def _ledger_update(
        self, order_id: str, update: str, condition: str, values: dict[str, Any]
    ) -> TransactWriteItemTypeDef:
        return cast(
            "TransactWriteItemTypeDef",
            {
                "Update": {
                    "TableName": self._table_name,
                    "Key": ledger_key(order_id),
                    "UpdateExpression": update,
                    "ConditionExpression": f"attribute_exists(pk) AND {condition}",
                    "ExpressionAttributeValues": _values(values),
                }
            },
        )

    def _payment_update(
        self, payment_id: str, update: str, values: dict[str, Any]
    ) -> TransactWriteItemTypeDef:
        return cast(
            "TransactWriteItemTypeDef",
            {
                "Update": {
                    "TableName": self._table_name,
                    "Key": payment_key(payment_id),
                    "UpdateExpression": update,
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": _values(values),
                }
            },
        )

    def _transact_if(self, *items: TransactWriteItemTypeDef) -> bool:
        """Write all the items if the first one's condition holds; False if it does not."""
        return transact_write_if_first_holds(self._client, items)

    def _get(self, key: Any) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table_name, Key=key, ConsistentRead=True)
        item = response.get("Item")
        return dict(item) if item else None


def _values(values: dict[str, Any]) -> dict[str, Any]:
    """Expression values from Python values: numbers, text, enums and timestamps."""
    typed: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, datetime):
            typed[name] = {"S": format_timestamp(value)}
        elif isinstance(value, int):
            typed[name] = {"N": str(value)}
        else:
            typed[name] = {"S": str(value)}
    return typed


@cache
def payments_table_from_environment() -> PaymentsTable:
    return PaymentsTable(dynamodb_client(), load_settings(PaymentsSettings).payments_table_name)
