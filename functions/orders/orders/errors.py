"""The ways an orders use case can refuse a request."""

from __future__ import annotations

from petstore_shared.caller_identity import OWN_USER_ID
from petstore_shared.domain_errors import Conflict, Forbidden, NotFound


class OrderNotFound(NotFound):
    """Also what a shopper gets for someone else's order: never a hint that it exists."""

    default_code = "OrderNotFound"

    def __init__(self, order_id: str):
        super().__init__(f"There is no order with id '{order_id}'.", field="orderId")


class PetNotOnSale(NotFound):
    """No pet, or one that is sold, pending or deleted: neither can be ordered."""

    default_code = "PetNotFound"

    def __init__(self, pet_id: str):
        super().__init__(f"There is no pet for sale with id '{pet_id}'.", field="petId")


class OrderNotCancellable(Conflict):
    default_code = "OrderNotCancellable"

    def __init__(self, order_id: str, status: str):
        super().__init__(f"Order '{order_id}' is {status} and can no longer be cancelled.")


class IdempotencyKeyReused(Conflict):
    default_code = "IdempotencyKeyReused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was used for a different order; use a new key.",
            field="Idempotency-Key",
        )


class NotYourOrders(Forbidden):
    def __init__(self, own_user_id: str) -> None:
        super().__init__(
            f"Shoppers may list only their own orders: your user id is '{own_user_id}' "
            f"(or write '{OWN_USER_ID}').",
            field="userId",
        )
