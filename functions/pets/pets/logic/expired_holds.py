"""Expired holds give their stock back lazily: when a reservation or a hold would be
refused for want of stock, the pet's expired holds are ended in its own transaction and
their stock counts toward it, so stock a hold took is never lost and never freed twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pets.dal.inventory_holds import InventoryHolds
from pets.models import InventoryHold

PLAN_ATTEMPTS = 5
"""Transactions tried per request: each refusal that names something to read again (the
order's hold, holds to free) costs one, and concurrent writers can cost more."""
FREED_PER_TRANSACTION = 25
"""Well inside DynamoDB's 100 items per transaction."""


def expired_holds_in_the_way(
    holds: InventoryHolds, pet_id: str, order_id: str, now: datetime
) -> list[InventoryHold]:
    """The pet's expired holds other than the order's own, which its reservation ends."""
    expired = holds.expired_holds(pet_id, now, FREED_PER_TRANSACTION + 1)
    return [hold for hold in expired if hold.order_id != order_id][:FREED_PER_TRANSACTION]


def nothing_more_to_free(
    expired: Sequence[InventoryHold], freeing: Sequence[InventoryHold]
) -> bool:
    """True when the transaction just refused already freed every expired hold there is."""
    return {hold.order_id for hold in expired} <= {hold.order_id for hold in freeing}
