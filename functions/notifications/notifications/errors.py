"""The ways a notifications use case can refuse a request."""

from __future__ import annotations

from petstore_shared.domain_errors import Forbidden


class NotYourNotifications(Forbidden):
    def __init__(self) -> None:
        super().__init__("Shoppers may read only their own notifications.", field="userId")
