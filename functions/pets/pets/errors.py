"""The ways a pets use case can refuse a request."""

from __future__ import annotations

from petstore_shared.domain_errors import Conflict, Forbidden, NotFound


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


class HoldNotFound(NotFound):
    def __init__(self, pet_id: str, order_id: str):
        super().__init__(f"Pet '{pet_id}' has no hold for order '{order_id}'.", field="orderId")


class HoldOfAnotherCaller(Forbidden):
    """Only the IAM identity that made a hold may release it."""

    default_code = "HoldOfAnotherCaller"

    def __init__(self, order_id: str):
        super().__init__(
            f"The hold for order '{order_id}' was made by another caller.", field="orderId"
        )


class OrderHeldByAnotherCaller(Conflict):
    default_code = "OrderHeldByAnotherCaller"

    def __init__(self, order_id: str):
        super().__init__(
            f"Another caller already holds stock for order '{order_id}'.", field="orderId"
        )


class HoldEnded(Conflict):
    """A hold that expired or was released holds nothing, and cannot hold again."""

    default_code = "HoldEnded"

    def __init__(self, order_id: str, how: str):
        super().__init__(
            f"The hold for order '{order_id}' {how}; it holds no stock.", field="orderId"
        )


class HoldTakenOver(Conflict):
    """The order's saga reserved the held stock: it is released with the order."""

    default_code = "HoldTakenOver"

    def __init__(self, order_id: str):
        super().__init__(
            f"Order '{order_id}' was placed and its saga holds the stock now; "
            "cancel the order to release it.",
            field="orderId",
        )


class OrderAlreadyReserved(Conflict):
    """The order's saga reserved (or released) its stock before any hold was asked for."""

    default_code = "OrderAlreadyReserved"

    def __init__(self, order_id: str):
        super().__init__(
            f"Order '{order_id}' already has its stock reserved (or released) by its saga.",
            field="orderId",
        )
