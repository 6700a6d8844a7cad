"""How payments are laid out in the payments table.

    payment  pk=PAYMENT#<paymentId>  sk=PAYMENT   gsi1pk=ORDER#<orderId>
                                                  gsi1sk=ATTEMPT#<attempt, 4 digits>
    ledger   pk=ORDER#<orderId>      sk=LEDGER    the order's payment state (OrderLedger)
    outbox   pk=OUTBOX#<orderId>     (petstore_shared.events.outbox)

The `byOrder` index lists an order's payment attempts in order.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from payments.models import ChargeState, OrderLedger, Payment, PaymentStatus
from petstore_shared.events.catalog import Money
from petstore_shared.item_timestamps import format_timestamp, parse_timestamp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

Item = dict[str, "AttributeValueTypeDef"]
RawItem = Mapping[str, Any]

PAYMENT_ID_NAMESPACE = uuid.UUID("0f3a9a52-3c55-4f43-9c1e-5a3f2a8f7d10")


def payment_id_for(order_id: str, attempt: int) -> str:
    """One payment per order and attempt, whoever creates it first."""
    return str(uuid.uuid5(PAYMENT_ID_NAMESPACE, f"{order_id}/{attempt}"))


def payment_key(payment_id: str) -> Item:
    return {"pk": {"S": f"PAYMENT#{payment_id}"}, "sk": {"S": "PAYMENT"}}


def ledger_key(order_id: str) -> Item:
    return {"pk": {"S": order_partition_key(order_id)}, "sk": {"S": "LEDGER"}}


def order_partition_key(order_id: str) -> str:
    return f"ORDER#{order_id}"


def payment_to_item(payment: Payment) -> Item:
    item: Item = {
        **payment_key(payment.payment_id),
        "entity": {"S": "Payment"},
        "paymentId": {"S": payment.payment_id},
        "orderId": {"S": payment.order_id},
        "userId": {"S": payment.user_id},
        "attempt": {"N": str(payment.attempt)},
        "amount": {"N": str(payment.amount.amount)},
        "currency": {"S": payment.amount.currency},
        "status": {"S": payment.status.value},
        "providerAttempts": {"N": "0"},
        "createdAt": {"S": format_timestamp(payment.created_at)},
        "updatedAt": {"S": format_timestamp(payment.updated_at)},
        "gsi1pk": {"S": order_partition_key(payment.order_id)},
        "gsi1sk": {"S": f"ATTEMPT#{payment.attempt:04d}"},
    }
    return item


def payment_from_item(item: RawItem) -> Payment:
    return Payment(
        payment_id=item["paymentId"]["S"],
        order_id=item["orderId"]["S"],
        user_id=item["userId"]["S"],
        attempt=int(item["attempt"]["N"]),
        amount=Money(amount=Decimal(item["amount"]["N"]), currency=item["currency"]["S"]),
        status=PaymentStatus(item["status"]["S"]),
        reason=_text(item, "reason"),
        charge_id=_text(item, "chargeId"),
        refund_id=_text(item, "refundId"),
        created_at=parse_timestamp(item["createdAt"]["S"]),
        updated_at=parse_timestamp(item["updatedAt"]["S"]),
    )


def ledger_to_item(ledger: OrderLedger, at: datetime) -> Item:
    """A new ledger, written when an order's first charge starts."""
    assert ledger.amount is not None and ledger.attempt is not None and ledger.state is not None
    named: Item = {"petName": {"S": ledger.pet_name}} if ledger.pet_name else {}
    return {
        **ledger_key(ledger.order_id),
        **named,
        "entity": {"S": "OrderLedger"},
        "orderId": {"S": ledger.order_id},
        "userId": {"S": ledger.user_id},
        "petId": {"S": ledger.pet_id},
        "quantity": {"N": str(ledger.quantity)},
        "amount": {"N": str(ledger.amount.amount)},
        "currency": {"S": ledger.amount.currency},
        "attempt": {"N": str(ledger.attempt)},
        "chargeState": {"S": ledger.state.value},
        "createdAt": {"S": format_timestamp(at)},
        "updatedAt": {"S": format_timestamp(at)},
    }


def ledger_from_item(item: RawItem) -> OrderLedger:
    amount = (
        Money(amount=Decimal(item["amount"]["N"]), currency=item["currency"]["S"])
        if "amount" in item
        else None
    )
    state = _text(item, "chargeState")
    return OrderLedger(
        order_id=item["orderId"]["S"],
        user_id=item["userId"]["S"],
        pet_id=item["petId"]["S"],
        quantity=int(item["quantity"]["N"]),
        amount=amount,
        attempt=_number(item, "attempt"),
        state=ChargeState(state) if state else None,
        retryable_attempt=_number(item, "retryableAttempt"),
        succeeded_payment_id=_text(item, "succeededPaymentId"),
        cancelled="cancelledAt" in item,
        refunded="refundedAt" in item,
        rejected="rejectedAt" in item,
        pet_name=_text(item, "petName"),
    )


def _text(item: RawItem, name: str) -> str | None:
    return item[name]["S"] if name in item else None


def _number(item: RawItem, name: str) -> int | None:
    return int(item[name]["N"]) if name in item else None
