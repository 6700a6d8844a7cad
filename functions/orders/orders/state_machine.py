"""The order's state machine: which event moves an order to which status, from which
statuses. The orders table applies each transition as a conditional write on exactly
these predecessors, so a late, repeated or out-of-order event cannot move an order
backwards; it just finds the order elsewhere and changes nothing.

    PENDING -> RESERVED -> CONFIRMED        (a payment result may arrive before the
    PENDING -> REJECTED                      reservation's event: it implies the
    PENDING | RESERVED -> PAYMENT_FAILED     reservation, so PENDING is allowed too)
    PAYMENT_FAILED -> PENDING (next attempt, when the shopper retries the payment)
    PENDING | RESERVED | CONFIRMED | PAYMENT_FAILED -> CANCELLED (the shopper's request)

`attempt` numbers the order's payment attempts. An event of attempt n applies to an
order at attempt n in the "same attempt" statuses, or to an order whose earlier attempt
failed (PAYMENT_FAILED at an attempt below n), which lets the events of a retry arrive in
any order too.
"""

from __future__ import annotations

from dataclasses import dataclass

from orders.models import OrderStatus
from petstore_shared.events.catalog import (
    InventoryRejected,
    InventoryReserved,
    OrderRef,
    PaymentFailed,
    PaymentRetryRequested,
    PaymentSucceeded,
)

S = OrderStatus


@dataclass(frozen=True)
class Transition:
    target: OrderStatus
    from_same_attempt: frozenset[OrderStatus]
    from_earlier_attempt: frozenset[OrderStatus] = frozenset()


TRANSITION_BY_EVENT: dict[type[OrderRef], Transition] = {
    InventoryReserved: Transition(
        S.RESERVED, frozenset({S.PENDING}), frozenset({S.PAYMENT_FAILED})
    ),
    InventoryRejected: Transition(
        S.REJECTED, frozenset({S.PENDING}), frozenset({S.PAYMENT_FAILED})
    ),
    PaymentSucceeded: Transition(
        S.CONFIRMED, frozenset({S.PENDING, S.RESERVED}), frozenset({S.PAYMENT_FAILED})
    ),
    PaymentFailed: Transition(
        S.PAYMENT_FAILED, frozenset({S.PENDING, S.RESERVED}), frozenset({S.PAYMENT_FAILED})
    ),
    PaymentRetryRequested: Transition(S.PENDING, frozenset(), frozenset({S.PAYMENT_FAILED})),
}

CANCELLABLE = frozenset({S.PENDING, S.RESERVED, S.CONFIRMED, S.PAYMENT_FAILED})
"""A PAYMENT_FAILED order's stock was released and nothing was charged: cancelling it
closes it for a shopper who does not want to pay again."""
