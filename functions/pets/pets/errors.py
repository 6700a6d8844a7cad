"""The ways a pets use case can refuse a request."""

from __future__ import annotations

from petstore_shared.domain_errors import Conflict, NotFound


class PetNotFound(NotFound):
    def __init__(self, pet_id: str):
        super().__init__(f"There is no pet with id '{pet_id}'.")


class VersionConflict(Conflict):
    default_code = "VersionConflict"

    def __init__(self, pet_id: str, expected_version: int):
        super().__init__(
            f"Pet '{pet_id}' is no longer at version {expected_version}; "
            "read it again and retry with its current version.",
            field="version",
        )


class PetKeptChanging(Conflict):
    """The pet changed under every attempt of a write that must know its next version."""

    default_code = "PetKeptChanging"

    def __init__(self, pet_id: str):
        super().__init__(f"Pet '{pet_id}' kept changing while it was written; try again.")


class InsufficientStock(Conflict):
    default_code = "InsufficientStock"

    def __init__(self, pet_id: str, quantity: int):
        super().__init__(
            f"Pet '{pet_id}' has fewer than {quantity} in stock.",
            field="quantity",
        )


class ReservationReleased(Conflict):
    """The order's reservation was released (or its release arrived first): it cannot
    reserve again."""

    default_code = "ReservationReleased"

    def __init__(self, order_id: str):
        super().__init__(
            f"Stock for order '{order_id}' has already been released.",
            field="orderId",
        )


class ReservationMismatch(Conflict):
    default_code = "ReservationMismatch"

    def __init__(self, order_id: str, reserved: int):
        super().__init__(
            f"Order '{order_id}' already holds a reservation of {reserved}.",
            field="quantity",
        )
