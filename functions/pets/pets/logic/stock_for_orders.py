"""The inventory's part in the order saga: hold stock when an order is placed (or its
payment retried), give it back when the payment fails or the order is cancelled, and
announce the outcome of each reservation (inventory.reserved | inventory.rejected).

Reserving and releasing are idempotent per reservation (see reserve_stock and
release_stock), and they run their own transactions; the outcome's event is written to
the outbox right after, with an id derived from the order and attempt, so that running
the whole step again after a crash finds the stock held and writes no second event.

Each payment attempt of an order holds stock under its own reservation: the order id
for the first, `<orderId>.<attempt>` for a retry, because a released reservation can
never be reserved again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pets.dal.pets_table import pets_table_from_environment
from pets.dal.stock_reservations import stock_reservations_from_environment
from pets.errors import InsufficientStock, PetNotFound, ReservationReleased
from pets.logic.release_stock import release_stock
from pets.logic.reserve_stock import reserve_stock
from pets.models import PetStatus, ReleaseOutcome
from petstore_shared.events.catalog import (
    InventoryRejected,
    InventoryReserved,
    OrderCancelled,
    OrderPlaced,
    OrderRef,
    PaymentRetryRequested,
)
from petstore_shared.events.envelope import Event, EventData, derived_event_id, new_event

EVENT_SOURCE = "petstore.inventory"
PAYMENT_FAILED = "PAYMENT_FAILED"
RecordEvent = Callable[[Event[Any]], object]


def reservation_id_for(order_id: str, attempt: int) -> str:
    return order_id if attempt == 1 else f"{order_id}.{attempt}"


def reserve_for_order(
    event: Event[OrderPlaced] | Event[PaymentRetryRequested], *, record_event: RecordEvent
) -> EventData:
    """Hold the order's stock for its payment attempt and record the outcome's event; a
    pet that is no longer for sale (sold, pending) is not reserved. A rejection closes
    the reservation for good, so that a redelivery cannot reserve after a rejection was
    announced."""
    data = event.data
    ref = data.order_fields()
    reservation_id = reservation_id_for(data.order_id, data.attempt)
    outcome: EventData
    try:
        _refuse_unless_for_sale(data.pet_id)
        reserve_stock(data.pet_id, reservation_id, data.quantity)
        outcome = InventoryReserved(**ref, amount=data.amount, payment_token=data.payment_token)
    except PetNotForSale:
        release_stock(data.pet_id, reservation_id)
        outcome = InventoryRejected(**ref, reason="pet_not_for_sale")
    except InsufficientStock:
        release_stock(data.pet_id, reservation_id)
        outcome = InventoryRejected(**ref, reason="out_of_stock")
    except PetNotFound:
        outcome = InventoryRejected(**ref, reason="pet_not_found")
    except ReservationReleased:
        outcome = _outcome_of_released(data.pet_id, reservation_id, ref, data)
    record_event(_announce(outcome, data))
    return outcome


class PetNotForSale(Exception):
    """The pet's status is not `available`."""


def _refuse_unless_for_sale(pet_id: str) -> None:
    """The orders service took the order from its copy of the pet, which can lag a change
    of status; the pet as it is now decides. A missing pet is the reservation's to refuse."""
    pet = pets_table_from_environment().find_pet(pet_id)
    if pet is not None and pet.status is not PetStatus.AVAILABLE:
        raise PetNotForSale(pet_id)


def _outcome_of_released(
    pet_id: str, reservation_id: str, ref: dict[str, Any], data: OrderPlaced | PaymentRetryRequested
) -> EventData:
    """A released reservation that held stock was reserved first: that is the outcome
    announced then, announced again (the same event). One that never held any was
    released (or closed by a rejection) before it could be reserved."""
    reservation = stock_reservations_from_environment().find_reservation(pet_id, reservation_id)
    if reservation is not None and reservation.quantity > 0:
        return InventoryReserved(**ref, amount=data.amount, payment_token=data.payment_token)
    return InventoryRejected(**ref, reason="reservation_released")


def release_for_order(event: Event[Any]) -> ReleaseOutcome:
    """Give back the stock the order's payment attempt holds (order.cancelled,
    payment.failed); if the reservation has not happened yet, it never will."""
    data: OrderRef = event.data
    return release_stock(data.pet_id, reservation_id_for(data.order_id, data.attempt))


def release_for_cancelled_order(event: Event[OrderCancelled]) -> ReleaseOutcome:
    """Release the cancelled order's attempt. An order cancelled while PAYMENT_FAILED may
    have a retry asked for at the same moment (payment.retry_requested, attempt n+1, on
    another queue): its reservation is closed too, so that it never holds stock."""
    data = event.data
    if data.previous_status == PAYMENT_FAILED:
        release_stock(data.pet_id, reservation_id_for(data.order_id, data.attempt + 1))
    return release_for_order(event)


def _announce(outcome: EventData, cause: OrderRef) -> Event[Any]:
    event_id = derived_event_id(cause.order_id, outcome.event_type, cause.attempt)
    return new_event(outcome, source=EVENT_SOURCE, event_id=event_id)
