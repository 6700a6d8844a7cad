from __future__ import annotations

from orders.dal.orders_table import OrdersTable
from orders.errors import NotYourOrders, OrderNotFound
from orders.models import Order, OrderPage, OrderWithHistory
from petstore_shared.caller_identity import CallerIdentity, user_id_meant


def get_order(caller: CallerIdentity, order_id: str, *, orders: OrdersTable) -> OrderWithHistory:
    """The order with its status history, for its owner or an admin; anyone else is told
    it does not exist."""
    order = orders.find_order_with_history(order_id)
    if order is None or not may_see(caller, order):
        raise OrderNotFound(order_id)
    return order


def list_user_orders(
    caller: CallerIdentity,
    user_id: str,
    limit: int,
    next_token: str | None,
    *,
    orders: OrdersTable,
) -> OrderPage:
    """A shopper's orders, newest first, for that shopper (`me`) or an admin."""
    user_id = user_id_meant(caller, user_id)
    if caller.user_id != user_id and not caller.is_admin:
        raise NotYourOrders(caller.user_id)
    items, token = orders.list_user_orders(user_id, limit, next_token)
    return OrderPage(items=items, next_token=token)


def may_see(caller: CallerIdentity, order: Order) -> bool:
    return caller.user_id == order.user_id or caller.is_admin
