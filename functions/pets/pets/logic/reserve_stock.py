from __future__ import annotations

from datetime import UTC, datetime

from pets.dal.inventory_holds import inventory_holds_from_environment
from pets.dal.stock_reservations import ReserveRefused, stock_reservations_from_environment
from pets.errors import (
    InsufficientStock,
    PetKeptChanging,
    PetNotFound,
    ReservationMismatch,
    ReservationReleased,
)
from pets.logic.expired_holds import PLAN_ATTEMPTS, expired_holds_in_the_way, nothing_more_to_free
from pets.models import HoldState, InventoryHold, Reservation, ReservationState
from petstore_shared.domain_errors import ValidationError


def reserve_stock(
    pet_id: str, order_id: str, quantity: int, *, now: datetime | None = None
) -> Reservation:
    """Hold `quantity` of the pet's stock for the order, atomically and at most once per
    order: asking again for the same order returns the first reservation and takes
    nothing more.

    A hold an internal caller made for the order (decrementInventory) is taken over: its
    stock becomes the reservation's, whatever quantity it held (the order's quantity is
    the one reserved). Expired holds of other orders give their stock back when it is
    missing (see expired_holds).

    Refusals: PetNotFound (missing or deleted), InsufficientStock, ReservationReleased
    (the order's stock was released, possibly before this reserve arrived) and
    ReservationMismatch (the order already holds a different quantity).
    """
    if quantity < 1:
        raise ValidationError("quantity must be at least 1.", field="quantity")
    if not order_id:
        raise ValidationError("orderId must not be empty.", field="orderId")
    reservations = stock_reservations_from_environment()
    holds = inventory_holds_from_environment()
    now = now or datetime.now(UTC)
    reservation = Reservation(
        pet_id=pet_id,
        order_id=order_id,
        quantity=quantity,
        state=ReservationState.RESERVED,
        reserved_at=now,
    )
    order_hold: InventoryHold | None = None
    freeing: list[InventoryHold] = []
    for _ in range(PLAN_ATTEMPTS):
        try:
            reservations.reserve(reservation, order_hold=order_hold, freeing=freeing, now=now)
            return reservation
        except ReserveRefused as refusal:
            if refusal.existing_reservation is not None:
                return _earlier_reservation_or_refuse(refusal.existing_reservation, quantity)
            if not refusal.pet_listed:
                raise PetNotFound(pet_id) from refusal
            if refusal.order_hold_changed:
                found = holds.find_hold(pet_id, order_id)
                order_hold = found if found and found.state is HoldState.HELD else None
                continue
            expired = expired_holds_in_the_way(holds, pet_id, order_id, now)
            if refusal.short_of_stock and nothing_more_to_free(expired, freeing):
                raise InsufficientStock(pet_id, quantity) from refusal
            freeing = expired
    raise PetKeptChanging(pet_id)


def _earlier_reservation_or_refuse(earlier: Reservation, quantity: int) -> Reservation:
    if earlier.state is ReservationState.RELEASED:
        raise ReservationReleased(earlier.order_id)
    if earlier.quantity != quantity:
        raise ReservationMismatch(earlier.order_id, earlier.quantity)
    return earlier
