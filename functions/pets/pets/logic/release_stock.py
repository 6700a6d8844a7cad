from __future__ import annotations

from datetime import UTC, datetime

from pets.dal.stock_reservations import stock_reservations_from_environment
from pets.models import ReleaseOutcome, Reservation, ReservationState


def release_stock(pet_id: str, order_id: str) -> ReleaseOutcome:
    """Give the order's reserved stock back to the pet, at most once per order.

    Events can arrive out of order: a release that finds no reservation leaves a RELEASED
    tombstone in its place, so the order's reserve, arriving later, is refused and takes
    nothing.
    """
    reservations = stock_reservations_from_environment()
    now = datetime.now(UTC)
    reservation = reservations.find_reservation(pet_id, order_id)
    if reservation is None:
        tombstone = Reservation(
            pet_id=pet_id,
            order_id=order_id,
            quantity=0,
            state=ReservationState.RELEASED,
            released_at=now,
        )
        if reservations.record_release_before_reserve(tombstone):
            return ReleaseOutcome.RELEASED_BEFORE_RESERVE
        # The reserve won the race between our read and the tombstone: release it.
        reservation = reservations.find_reservation(pet_id, order_id)
    if reservation is None or reservation.state is ReservationState.RELEASED:
        return ReleaseOutcome.ALREADY_RELEASED
    if reservations.release(reservation, now):
        return ReleaseOutcome.RELEASED
    return ReleaseOutcome.ALREADY_RELEASED
