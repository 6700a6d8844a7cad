"""`petstore demo`: one order down each path of the saga, placed by the demo users
through the API of a running local cloud, with every status change printed as it
happens and where the stock, the money and the notifications ended up."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import requests

Json = dict[str, Any]
T = TypeVar("T")
TERMINAL = frozenset({"CONFIRMED", "REJECTED", "PAYMENT_FAILED", "CANCELLED"})
# The first order of a fresh cloud starts every function of the saga cold.
SAGA_WAIT_S = 60.0
SETTLE_WAIT_S = 15.0
POLL_INTERVAL_S = 0.05
DEMO_PET = {
    "name": "Demo Pup",
    "species": "dog",
    "price": {"amount": "99.00", "currency": "USD"},
    "stock": 3,
    "description": "Added by `petstore demo` for its journeys.",
    "tags": ["demo"],
}
LAST_ONE_PET = {**DEMO_PET, "name": "Last Kitten", "species": "cat", "stock": 1}


class DemoError(Exception):
    pass


@dataclass(frozen=True)
class Journey:
    title: str
    shopper: str
    payment_token: str
    expected_status: str
    told: tuple[str, ...]
    retried_after_sell_out: bool = False
    cancel_once_confirmed: bool = False


JOURNEYS = (
    Journey(
        "Confirmed",
        "alice",
        "tok_visa",
        "CONFIRMED",
        ("Order received", "Payment received", "Order confirmed"),
    ),
    Journey(
        "Out of stock",
        "alice",
        "tok_decline",
        "REJECTED",
        ("Order received", "Payment failed", "Payment retry", "Order rejected"),
        retried_after_sell_out=True,
    ),
    Journey(
        "Payment declined",
        "bob",
        "tok_decline",
        "PAYMENT_FAILED",
        ("Order received", "Payment declined", "Payment failed"),
    ),
    Journey(
        "Cancelled after payment",
        "alice",
        "tok_visa",
        "CANCELLED",
        (
            "Order received",
            "Payment received",
            "Order confirmed",
            "Order cancelled",
            "Refund issued",
        ),
        cancel_once_confirmed=True,
    ),
)


@dataclass(frozen=True)
class Store:
    anonymous: StoreClient
    users: Mapping[str, StoreClient]


@dataclass(frozen=True)
class Outcome:
    journey: Journey
    order: Json

    @property
    def ok(self) -> bool:
        settled = self.order["status"] == self.journey.expected_status
        return settled and (self.order["refunded"] or not self.journey.cancel_once_confirmed)


class StoreClient:
    """The API as one demo user, or anonymously, sees it."""

    def __init__(self, api_url: str, token: str | None = None) -> None:
        self.api_url = api_url
        self._session = requests.Session()
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def call(
        self, method: str, path: str, body: Json | None = None, ok: tuple[int, ...] = (200,)
    ) -> requests.Response:
        try:
            answer = self._session.request(method, f"{self.api_url}{path}", json=body, timeout=30)
        except requests.ConnectionError as error:
            raise DemoError(
                f"The API at {self.api_url} does not answer: is `petstore up` still running?"
            ) from error
        if answer.status_code not in ok:
            raise DemoError(f"{method} {path} answered {answer.status_code}: {answer.text}")
        return answer

    def json(self, method: str, path: str, body: Json | None = None, ok: int = 200) -> Json:
        document: Json = self.call(method, path, body, (ok,)).json()
        return document


def run_demo(api_url: str, tokens: Mapping[str, str], transport: str = "sns") -> bool:
    """Run every journey; True when each ended in its expected final state."""
    store = Store(
        StoreClient(api_url), {user: StoreClient(api_url, token) for user, token in tokens.items()}
    )
    print(f"Pet store demo against {api_url} (events over {transport})", flush=True)
    in_stock = store.users["admin"].json("POST", "/pets", DEMO_PET, ok=201)
    last_one = store.users["admin"].json("POST", "/pets", LAST_ONE_PET, ok=201)
    for pet in (in_stock, last_one):
        print(f"  admin added {pet['name']!r} with stock {pet['stock']} for this run")
        _wait_until_orderable(store.anonymous, pet)
    outcomes = []
    for number, journey in enumerate(JOURNEYS, start=1):
        pet = last_one if journey.retried_after_sell_out else in_stock
        outcomes.append(_run_journey(number, journey, pet, store))
    _print_summary(outcomes)
    return all(outcome.ok for outcome in outcomes)


def _wait_until_orderable(anonymous: StoreClient, pet: Json) -> None:
    """The orders service sells a new pet once the pet's pet.changed event reached it."""
    offered = _settled(
        lambda: anonymous.call("GET", f"/orders/offers/{pet['id']}", ok=(200, 404)).status_code,
        lambda status: status == 200,
        SAGA_WAIT_S,
    )
    if offered != 200:
        raise DemoError(f"{pet['name']!r} was not on sale in the orders service in time")


def _sell_out_and_retry(store: Store, journey: Journey, pet: Json, order: Json) -> None:
    """Bob buys the last one while the journey's payment has failed; the retry that
    follows re-runs the reservation, which finds no stock left."""
    # The failed payment's stock comes back when inventory handles payment.failed.
    _settled(
        lambda: store.anonymous.json("GET", f"/pets/{pet['id']}")["stock"],
        lambda stock: stock > 0,
    )
    bought = store.users["bob"].json(
        "POST", "/orders", {"petId": pet["id"], "quantity": 1, "paymentToken": "tok_visa"}, ok=201
    )
    status = _settled(
        lambda: store.users["bob"].json("GET", f"/orders/{bought['orderId']}")["status"],
        lambda status: status in TERMINAL,
        SAGA_WAIT_S,
    )
    print(f"   meanwhile bob buys the last one: his order is {status}", flush=True)
    retry = {"orderId": order["orderId"], "paymentToken": "tok_visa"}
    # Until the order reads PAYMENT_FAILED at payments too, a retry is refused with 409.
    answer = _settled(
        lambda: store.users[journey.shopper].call("POST", "/payments", retry, ok=(202, 409)),
        lambda answer: answer.status_code == 202,
    )
    print(f"   {journey.shopper} retries the payment with tok_visa: {answer.status_code}")


def _run_journey(number: int, journey: Journey, pet: Json, store: Store) -> Outcome:
    shopper, anonymous = store.users[journey.shopper], store.anonymous
    print(f"\n{number}. {journey.title}: {journey.shopper} orders 1 x {pet['name']!r}", end="")
    print(f" paying with {journey.payment_token}, expecting {journey.expected_status}", flush=True)
    stock_before = anonymous.json("GET", f"/pets/{pet['id']}")["stock"]
    order = shopper.json(
        "POST",
        "/orders",
        {"petId": pet["id"], "quantity": 1, "paymentToken": journey.payment_token},
        ok=201,
    )
    print(f"   order {order['orderId']}")
    follower = HistoryFollower(shopper, order)
    if journey.cancel_once_confirmed:
        follower.follow_until(lambda order: order["status"] in TERMINAL)
        if follower.order["status"] == "CONFIRMED":
            print(f"   {journey.shopper} cancels the confirmed order", flush=True)
            follower.update(shopper.json("PUT", f"/orders/{order['orderId']}/cancel"))
        follower.follow_until(lambda order: order["refunded"] or order["status"] != "CANCELLED")
    elif journey.retried_after_sell_out:
        follower.follow_until(lambda order: order["status"] in TERMINAL)
        _sell_out_and_retry(store, journey, pet, order)
        follower.follow_until(lambda order: order["status"] in TERMINAL and order["attempt"] > 1)
    else:
        follower.follow_until(lambda order: order["status"] in TERMINAL)
    outcome = Outcome(journey, follower.order)
    _print_effects(outcome, pet, stock_before, shopper, anonymous)
    return outcome


class HistoryFollower:
    """Polls one order and prints each new entry of its history as it appears."""

    def __init__(self, shopper: StoreClient, order: Json) -> None:
        self._shopper = shopper
        self.order = order
        self._placed_at = datetime.fromisoformat(order["createdAt"])
        self._printed = 0
        self._print_new_entries()

    def follow_until(self, done: Callable[[Json], bool]) -> None:
        deadline = time.monotonic() + SAGA_WAIT_S
        while not done(self.order):
            if time.monotonic() >= deadline:
                print(f"   (still {self.order['status']} after {SAGA_WAIT_S:.0f} s)", flush=True)
                return
            time.sleep(POLL_INTERVAL_S)
            self.update(self._shopper.json("GET", f"/orders/{self.order['orderId']}"))

    def update(self, order: Json) -> None:
        self.order = order
        self._print_new_entries()

    def _print_new_entries(self) -> None:
        for entry in self.order["history"][self._printed :]:
            since = (datetime.fromisoformat(entry["at"]) - self._placed_at).total_seconds()
            reason = f", {entry['reason']}" if entry.get("reason") else ""
            print(
                f"   {since:+6.2f} s  {entry['status']:<15} ({entry['cause']}{reason})", flush=True
            )
        self._printed = len(self.order["history"])


def _print_effects(
    outcome: Outcome, pet: Json, stock_before: int, shopper: StoreClient, anonymous: StoreClient
) -> None:
    order = outcome.order
    # Stock is released by the inventory service on its own event, after the order settles.
    held = 1 if order["status"] in {"RESERVED", "CONFIRMED"} else 0
    bought_meanwhile = 1 if outcome.journey.retried_after_sell_out else 0
    expected_stock = stock_before - held - bought_meanwhile
    stock = _settled(
        lambda: anonymous.json("GET", f"/pets/{pet['id']}")["stock"],
        lambda stock: stock == expected_stock,
    )
    print(f"   stock of {pet['name']!r}: {stock_before} -> {stock}")
    answer = shopper.call("GET", f"/payments/order/{order['orderId']}", ok=(200, 404))
    payments = answer.json()["items"] if answer.status_code == 200 else []
    for payment in payments:
        amount = payment["amount"]
        reason = f" ({payment['reason']})" if payment.get("reason") else ""
        print(
            f"   payment attempt {payment['attempt']}: {amount['amount']} {amount['currency']} "
            f"{payment['status']}{reason}"
        )
    if not payments:
        print("   payments: none (nothing was charged)")
    subjects = _settled(
        lambda: _subjects_about(shopper, order),
        lambda subjects: set(outcome.journey.told) <= set(subjects),
    )
    print(f"   {outcome.journey.shopper} was told: {', '.join(subjects) or 'nothing yet'}")
    verdict = "as expected" if outcome.ok else f"EXPECTED {outcome.journey.expected_status}"
    print(f"   => {order['status']}{' and refunded' if order['refunded'] else ''}: {verdict}")


def _subjects_about(shopper: StoreClient, order: Json) -> list[str]:
    """The subjects of the user's notifications about the order, oldest first."""
    page = shopper.json("GET", f"/notifications/user/{order['userId']}?limit=100")
    about = [item for item in page["items"] if item.get("orderId") == order["orderId"]]
    return [item["subject"] for item in sorted(about, key=lambda item: item["createdAt"])]


def _settled[T](
    read: Callable[[], T], settled: Callable[[T], bool], wait_s: float = SETTLE_WAIT_S
) -> T:
    """What `read` gives once `settled` holds, or its last answer after a bounded wait."""
    deadline = time.monotonic() + wait_s
    value = read()
    while not settled(value) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_S)
        value = read()
    return value


def _print_summary(outcomes: list[Outcome]) -> None:
    print("\nSummary")
    for outcome in outcomes:
        order = outcome.order
        mark = "ok  " if outcome.ok else "FAIL"
        print(
            f"  {mark} {outcome.journey.title:<24} {order['status']:<15} order {order['orderId']}"
        )
