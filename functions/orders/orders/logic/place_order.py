from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from orders.dal.orders_table import OrderRequest, OrderRequestSeen, OrdersTable, RecordedRequest
from orders.dal.pet_offers_table import PetOffersTable
from orders.errors import IdempotencyKeyReused, OrderNotFound
from orders.logic.read_offers import offer_on_sale
from orders.models import HistoryEntry, Order, OrderStatus, OrderWithHistory, PlaceOrderRequest
from petstore_shared.events.catalog import Money, OrderPlaced
from petstore_shared.events.envelope import new_event

EVENT_SOURCE = "petstore.orders"


@dataclass(frozen=True)
class PlacedOrder:
    order: OrderWithHistory
    created: bool
    """False when the Idempotency-Key had already placed this order."""


def place_order(
    user_id: str,
    request: PlaceOrderRequest,
    idempotency_key: str | None,
    *,
    orders: OrdersTable,
    offers: PetOffersTable,
) -> PlacedOrder:
    """Accept an order as PENDING, at the pet's price as the orders service knows it, and
    announce it (order.placed), if the pet is on sale. Stock is not checked here: the
    reservation that follows holds it or rejects the order (out_of_stock).

    The same Idempotency-Key from the same shopper returns the order it placed first."""
    order_request = _order_request(user_id, request, idempotency_key)
    if order_request is not None:
        recorded = orders.find_request(user_id, order_request.idempotency_key)
        if recorded is not None:
            return _replayed(recorded, order_request, orders)
    offer = offer_on_sale(request.pet_id, offers=offers)
    now = datetime.now(UTC)
    order = Order(
        order_id=str(uuid.uuid4()),
        user_id=user_id,
        pet_id=request.pet_id,
        pet_name=offer.name,
        quantity=request.quantity,
        amount=Money(amount=offer.price.amount * request.quantity, currency=offer.price.currency),
        status=OrderStatus.PENDING,
        attempt=1,
        created_at=now,
        updated_at=now,
    )
    placed = OrderPlaced(
        order_id=order.order_id,
        user_id=user_id,
        pet_id=order.pet_id,
        pet_name=order.pet_name,
        quantity=order.quantity,
        amount=order.amount,
        payment_token=request.payment_token,
    )
    entry = HistoryEntry(status=OrderStatus.PENDING, at=now, cause="order placed")
    try:
        orders.create_order(order, entry, new_event(placed, source=EVENT_SOURCE), order_request)
    except OrderRequestSeen as seen:
        assert order_request is not None
        return _replayed(seen.recorded, order_request, orders)
    return PlacedOrder(OrderWithHistory(**dict(order), history=[entry]), created=True)


def _order_request(
    user_id: str, request: PlaceOrderRequest, idempotency_key: str | None
) -> OrderRequest | None:
    if idempotency_key is None:
        return None
    content = f"{request.pet_id}\n{request.quantity}\n{request.payment_token}"
    fingerprint = hashlib.sha256(content.encode()).hexdigest()
    return OrderRequest(user_id, idempotency_key, fingerprint)


def _replayed(recorded: RecordedRequest, request: OrderRequest, orders: OrdersTable) -> PlacedOrder:
    if recorded.fingerprint != request.fingerprint:
        raise IdempotencyKeyReused()
    order = orders.find_order_with_history(recorded.order_id)
    if order is None:
        raise OrderNotFound(recorded.order_id)
    return PlacedOrder(order, created=False)
