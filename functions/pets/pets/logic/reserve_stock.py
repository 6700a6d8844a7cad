from __future__ import annotations

from datetime import UTC, datetime

from pets.dal.stock_reservations import ReserveRefused, stock_reservations_from_environment
from pets.errors import InsufficientStock, PetNotFound, ReservationMismatch, ReservationReleased
from pets.models import Reservation, ReservationState
from petstore_shared.domain_errors import ValidationError


def reserve_stock(pet_id: str, order_id: str, quantity: int) -> Reservation:
    """Hold `quantity` of the pet's stock for the order, atomically and at most once per
    order: asking again for the same order returns the first reservation and takes
    nothing more.

    Refusals: PetNotFound (missing or deleted), InsufficientStock, ReservationReleased
    (the order's stock was released, possibly before this reserve arrived) and
    ReservationMismatch (the order already holds a different quantity).
    """
    if quantity < 1:
        raise ValidationError("quantity must be at least 1.", field="quantity")
    if not order_id:
        raise ValidationError("orderId must not be empty.", field="orderId")
    reservations = stock_reservations_from_environment()
    try:
        return reservations.reserve(pet_id, order_id, quantity, datetime.now(UTC))
    except ReserveRefused as refusal:
        return _earlier_reservation_or_refuse(refusal, pet_id, order_id, quantity)


def _earlier_reservation_or_refuse(
    refusal: ReserveRefused, pet_id: str, order_id: str, quantity: int
) -> Reservation:
    earlier = refusal.existing_reservation
    if earlier is not None:
        if earlier.state is ReservationState.RELEASED:
            raise ReservationReleased(order_id)
        if earlier.quantity != quantity:
            raise ReservationMismatch(order_id, earlier.quantity)
        return earlier
    if not refusal.pet_listed:
        raise PetNotFound(pet_id)
    raise InsufficientStock(pet_id, quantity)
