"""The invariants of DESIGN.md checked over the HTTP API, after traffic or faults:

1. no oversell: for every pet, initial stock - current stock = the quantity held by its
   orders in RESERVED or CONFIRMED, and the stock never below zero;
2. no unpaid reservation and no lost money: a rejected order was never charged, a
   confirmed one is charged exactly once, and every charge of an order that ends
   cancelled or failed is refunded, each refund issued exactly once;
4. nothing lost: every accepted order reaches a terminal state and its shopper is told.

Checks return what they found wrong, as sentences, so a load run can print them and a
test can assert there are none.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from support.api_client import ApiClient
from support.saga_http import TERMINAL, notifications_of, payments_of, user_id_of

Json = dict[str, Any]
HOLDING_STOCK = frozenset({"RESERVED", "CONFIRMED"})
FINAL_SUBJECT = {
    "CONFIRMED": "Order confirmed",
    "REJECTED": "Order rejected",
    "PAYMENT_FAILED": "Payment failed",
    "CANCELLED": "Order cancelled",
}
POLL_INTERVAL_S = 0.25


@dataclass(frozen=True)
class TrackedOrder:
    """An order the API accepted (201), and the shopper who placed it."""

    order_id: str
    pet_id: str
    quantity: int
    shopper: ApiClient


def wait_until_terminal(orders: Iterable[TrackedOrder], timeout_s: float) -> dict[str, Json]:
    """Each order as last read: all terminal, or whatever they were when `timeout_s` ran
    out (the caller counts the ones still under way)."""
    pending = {order.order_id: order for order in orders}
    latest: dict[str, Json] = {}
    deadline = time.monotonic() + timeout_s
    while pending:
        for order_id, order in list(pending.items()):
            answer = order.shopper.get(f"/orders/{order_id}")
            if answer.status_code != 200:
                continue
            latest[order_id] = answer.json()
            if latest[order_id]["status"] in TERMINAL:
                del pending[order_id]
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(POLL_INTERVAL_S)
    return latest


def stock_violations(
    anonymous: ApiClient, initial_stock: dict[str, int], final: dict[str, Json]
) -> list[str]:
    held: Counter[str] = Counter()
    for order in final.values():
        if order["status"] in HOLDING_STOCK:
            held[order["petId"]] += int(order["quantity"])
    problems = []
    for pet_id, initial in initial_stock.items():
        stock = int(anonymous.get(f"/pets/{pet_id}").json()["stock"])
        if stock < 0:
            problems.append(f"pet {pet_id}: stock {stock} is below zero")
        if initial - stock != held[pet_id]:
            problems.append(
                f"pet {pet_id}: {initial} - {stock} in stock != {held[pet_id]} held by orders"
            )
    return problems


def money_violations(orders: Iterable[TrackedOrder], final: dict[str, Json]) -> list[str]:
    problems = []
    for order in orders:
        status = final[order.order_id]["status"]
        payments = payments_of(order.shopper, order.order_id)
        charged = [p for p in payments if p.get("chargeId")]
        kept = [p for p in payments if p["status"] == "SUCCEEDED"]
        refunded = [p for p in payments if p["status"] == "REFUNDED"]
        where = f"order {order.order_id} ({status})"
        if status == "REJECTED" and charged:
            problems.append(f"{where}: charged without a reservation")
        if status == "CONFIRMED" and (len(kept) != 1 or refunded):
            problems.append(f"{where}: {len(kept)} charges kept, {len(refunded)} refunded")
        if status in {"CANCELLED", "PAYMENT_FAILED", "REJECTED"} and kept:
            problems.append(f"{where}: {len(kept)} charges kept and never refunded")
        if any(not p.get("refundId") for p in refunded):
            problems.append(f"{where}: a refunded payment has no refund id")
    return problems


def notification_violations(orders: Iterable[TrackedOrder], final: dict[str, Json]) -> list[str]:
    """Every shopper told the final outcome of each order, and each refund announced
    exactly once."""
    subjects_by_user: dict[str, Counter[tuple[str, str]]] = {}
    problems = []
    for order in orders:
        user_id = user_id_of(order.shopper)
        if user_id not in subjects_by_user:
            subjects_by_user[user_id] = Counter(
                (item.get("orderId", ""), item["subject"])
                for item in notifications_of(order.shopper, user_id)
            )
        told = subjects_by_user[user_id]
        status = final[order.order_id]["status"]
        if not told[(order.order_id, FINAL_SUBJECT[status])]:
            problems.append(f"order {order.order_id} ({status}): shopper not told")
        refunds = sum(
            1
            for payment in payments_of(order.shopper, order.order_id)
            if payment["status"] == "REFUNDED"
        )
        notices = told[(order.order_id, "Refund issued")]
        if notices != refunds:
            problems.append(f"order {order.order_id}: {notices} refund notices, {refunds} refunds")
    return problems


def orders_in_store(shoppers: Iterable[ApiClient], pet_ids: Iterable[str]) -> list[TrackedOrder]:
    """Every order of the shoppers for the pets, as the store has them: an order the API
    created while answering its client with an error is among them."""
    pets = set(pet_ids)
    stored = []
    for shopper in shoppers:
        query = "?limit=100"
        while True:
            page = shopper.get(f"/orders/user/{user_id_of(shopper)}{query}").json()
            stored += [
                TrackedOrder(item["orderId"], item["petId"], int(item["quantity"]), shopper)
                for item in page["items"]
                if item["petId"] in pets
            ]
            if not page.get("nextToken"):
                break
            query = f"?limit=100&nextToken={page['nextToken']}"
    return stored


def saga_violations(
    anonymous: ApiClient,
    initial_stock: dict[str, int],
    orders: list[TrackedOrder],
    timeout_s: float,
    shoppers: Iterable[ApiClient] = (),
) -> list[str]:
    """Everything wrong once the orders were given `timeout_s` to finish and their effects
    (stock released, refunds, notifications) as long again to follow: orders still under
    way, then invariants 1, 2 and 4. With `shoppers`, the orders checked are all theirs in
    the store, and one their client was not told was accepted is a violation too."""
    accepted = {order.order_id for order in orders}
    stored = orders_in_store(shoppers, initial_stock)
    unannounced = [
        f"order {order.order_id}: in the store, but its client was not answered 201"
        for order in stored
        if order.order_id not in accepted
    ]
    orders = [*orders, *(order for order in stored if order.order_id not in accepted)]
    return [*unannounced, *_saga_violations(anonymous, initial_stock, orders, timeout_s)]


def _saga_violations(
    anonymous: ApiClient,
    initial_stock: dict[str, int],
    orders: list[TrackedOrder],
    timeout_s: float,
) -> list[str]:
    final = wait_until_terminal(orders, timeout_s)
    unfinished = [
        order for order in orders if final.get(order.order_id, {}).get("status") not in TERMINAL
    ]
    if unfinished:
        below_zero = [
            problem
            for problem in stock_violations(anonymous, initial_stock, final)
            if "below zero" in problem
        ]
        return [
            *(
                f"order {order.order_id}: still "
                f"{final.get(order.order_id, {}).get('status', 'unread')}"
                for order in unfinished
            ),
            *below_zero,
        ]
    return eventually(
        lambda: [
            *stock_violations(anonymous, initial_stock, final),
            *money_violations(orders, final),
            *notification_violations(orders, final),
        ],
        timeout_s,
    )


def eventually(find_problems: Callable[[], list[str]], timeout_s: float) -> list[str]:
    """The problems `find_problems` reports, asked again until there are none or
    `timeout_s` ran out: the saga's last effects trail the orders' final states."""
    deadline = time.monotonic() + timeout_s
    while True:
        problems = find_problems()
        if not problems or time.monotonic() >= deadline:
            return problems
        time.sleep(POLL_INTERVAL_S)
