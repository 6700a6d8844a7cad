"""The ways a notifications use case can refuse a request."""

from __future__ import annotations

from petstore_shared.caller_identity import OWN_USER_ID
from petstore_shared.domain_errors import Forbidden


class NotYourNotifications(Forbidden):
    def __init__(self, own_user_id: str) -> None:
        super().__init__(
            f"Shoppers may read only their own notifications: your user id is '{own_user_id}' "
            f"(or write '{OWN_USER_ID}').",
            field="userId",
        )
