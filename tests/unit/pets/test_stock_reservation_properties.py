"""Property: whatever the order of reserves and releases, replayed or not, the stock is
always the initial stock minus what RESERVED reservations hold, and every call answers
as a simple model of the rules predicts."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pets.errors import InsufficientStock, ReservationMismatch, ReservationReleased
from pets.logic.release_stock import release_stock
from pets.logic.reserve_stock import reserve_stock
from pets.models import ReleaseOutcome

INITIAL_STOCK = 6

operations = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "release"]),
        st.sampled_from(["order-a", "order-b", "order-c", "order-d"]),
        st.integers(min_value=1, max_value=4),
    ),
    max_size=20,
)


@dataclass
class ReservationRules:
    """The expected behaviour, without a database."""

    stock: int
    held: dict[str, int] = field(default_factory=dict)
    released: set[str] = field(default_factory=set)

    def reserve(self, order_id: str, quantity: int) -> str:
        if order_id in self.released:
            return "ReservationReleased"
        if order_id in self.held:
            return "replayed" if self.held[order_id] == quantity else "ReservationMismatch"
        if self.stock < quantity:
            return "InsufficientStock"
        self.stock -= quantity
        self.held[order_id] = quantity
        return "reserved"

    def release(self, order_id: str) -> ReleaseOutcome:
        if order_id in self.released:
            return ReleaseOutcome.ALREADY_RELEASED
        self.released.add(order_id)
        if order_id in self.held:
            self.stock += self.held.pop(order_id)
            return ReleaseOutcome.RELEASED
        return ReleaseOutcome.RELEASED_BEFORE_RESERVE


def _reserve(pet_id: str, order_id: str, quantity: int, seen: set[str]) -> str:
    try:
        reserve_stock(pet_id, order_id, quantity)
    except (InsufficientStock, ReservationMismatch, ReservationReleased) as refusal:
        return type(refusal).__name__
    if order_id in seen:
        return "replayed"
    seen.add(order_id)
    return "reserved"


# Each example starts from its own new table (the fixture makes one per call).
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=operations)
def test_any_sequence_of_reserves_and_releases_keeps_stock_equal_to_initial_minus_held(
    switch_to_new_pets_table, add_pet, stored_stock, steps
):
    switch_to_new_pets_table()
    pet = add_pet(stock=INITIAL_STOCK)
    rules = ReservationRules(stock=INITIAL_STOCK)
    reserved_orders: set[str] = set()

    for operation, order_id, quantity in steps:
        if operation == "reserve":
            actual = _reserve(pet.id, order_id, quantity, reserved_orders)
            assert actual == rules.reserve(order_id, quantity)
        else:
            assert release_stock(pet.id, order_id) is rules.release(order_id)
        assert stored_stock(pet.id) == INITIAL_STOCK - sum(rules.held.values())
        assert stored_stock(pet.id) >= 0
