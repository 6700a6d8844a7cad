"""Holds for internal callers (decrementInventory, releaseInventory): stock taken for an
order that the orders service numbered, until the order's saga takes it over
(order.placed), the caller releases it, or it expires.

A hold cannot keep stock from shoppers: it lasts at most HOLD_SECONDS_MAX, and an expired
hold's stock goes back to the pet as soon as a reservation needs it
(see expired_holds). Only the IAM identity that made a hold may release it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pets.dal.inventory_holds import HoldRefused, inventory_holds_from_environment
from pets.errors import (
    HoldEnded,
    HoldNotFound,
    HoldOfAnotherCaller,
    HoldTakenOver,
    InsufficientStock,
    OrderAlreadyReserved,
    OrderHeldByAnotherCaller,
    PetKeptChanging,
    PetNotFound,
    ReservationMismatch,
)
from pets.logic.expired_holds import PLAN_ATTEMPTS, expired_holds_in_the_way, nothing_more_to_free
from pets.models import HoldState, InventoryHold


def hold_stock(
    pet_id: str,
    order_id: str,
    quantity: int,
    hold_seconds: int,
    holder: str,
    *,
    now: datetime | None = None,
) -> InventoryHold:
    """Hold `quantity` of the pet's stock for the order, atomically and at most once per
    order: asking again returns the first hold (or the saga's take-over of it).

    Refusals: PetNotFound, InsufficientStock, OrderAlreadyReserved (the saga got there
    first), OrderHeldByAnotherCaller, HoldEnded (released or expired) and
    ReservationMismatch (the order holds another quantity)."""
    holds = inventory_holds_from_environment()
    now = now or datetime.now(UTC)
    hold = InventoryHold(
        pet_id=pet_id,
        order_id=order_id,
        quantity=quantity,
        state=HoldState.HELD,
        holder=holder,
        held_at=now,
        expires_at=now + timedelta(seconds=hold_seconds),
    )
    freeing: list[InventoryHold] = []
    for _ in range(PLAN_ATTEMPTS):
        try:
            holds.hold(hold, freeing=freeing)
            return hold
        except HoldRefused as refusal:
            if refusal.existing_hold is not None:
                return _earlier_hold_or_refuse(refusal.existing_hold, hold)
            if refusal.order_reserved:
                raise OrderAlreadyReserved(order_id) from refusal
            if not refusal.pet_listed:
                raise PetNotFound(pet_id) from refusal
            expired = expired_holds_in_the_way(holds, pet_id, order_id, now)
            if refusal.short_of_stock and nothing_more_to_free(expired, freeing):
                raise InsufficientStock(pet_id, quantity) from refusal
            freeing = expired
    raise PetKeptChanging(pet_id)


def _earlier_hold_or_refuse(earlier: InventoryHold, asked: InventoryHold) -> InventoryHold:
    if earlier.holder != asked.holder:
        raise OrderHeldByAnotherCaller(asked.order_id)
    if earlier.state is HoldState.RELEASED:
        raise HoldEnded(asked.order_id, "was released")
    if earlier.state is HoldState.EXPIRED or (
        earlier.state is HoldState.HELD and earlier.expires_at <= asked.held_at
    ):
        raise HoldEnded(asked.order_id, "expired")
    if earlier.quantity != asked.quantity:
        raise ReservationMismatch(asked.order_id, earlier.quantity)
    return earlier


def release_hold(
    pet_id: str, order_id: str, holder: str, *, now: datetime | None = None
) -> InventoryHold:
    """Give the hold's stock back to the pet, once: releasing again answers the hold as
    it ended (RELEASED, or EXPIRED if it had expired first).

    Refusals: HoldNotFound, HoldOfAnotherCaller, HoldTakenOver (the order was placed:
    cancelling it releases the stock)."""
    holds = inventory_holds_from_environment()
    hold = holds.find_hold(pet_id, order_id)
    if hold is None:
        raise HoldNotFound(pet_id, order_id)
    if hold.holder != holder:
        raise HoldOfAnotherCaller(order_id)
    if hold.state is HoldState.HELD:
        now = now or datetime.now(UTC)
        ending = HoldState.EXPIRED if hold.expires_at <= now else HoldState.RELEASED
        if holds.end(hold, ending, now):
            return hold.model_copy(update={"state": ending, "ended_at": now})
        hold = holds.find_hold(pet_id, order_id) or hold
    if hold.state is HoldState.TAKEN_OVER:
        raise HoldTakenOver(order_id)
    return hold
