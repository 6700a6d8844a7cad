"""Where a shopper's e-mail goes: the verified `email` attribute of their user in the user
pool, found by their id (the token's `sub`). Never from an event or a request, which a
caller could have written."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

CACHE_SECONDS = 300.0
"""A warm function asks the pool once per shopper in this time: a changed or newly
verified address is used within five minutes."""


class ShopperAddresses:
    def __init__(
        self,
        client: CognitoIdentityProviderClient,
        user_pool_id: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._user_pool_id = user_pool_id
        self._clock = clock
        self._cached: dict[str, tuple[float, str | None]] = {}

    def verified_email(self, user_id: str) -> str | None:
        """The shopper's verified e-mail address; None if they have none, or no user."""
        now = self._clock()
        cached = self._cached.get(user_id)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        address = self._look_up(user_id)
        self._cached[user_id] = (now, address)
        return address

    def _look_up(self, user_id: str) -> str | None:
        escaped = user_id.replace("\\", "\\\\").replace('"', '\\"')
        users = self._client.list_users(
            UserPoolId=self._user_pool_id, Filter=f'sub = "{escaped}"', Limit=1
        )["Users"]
        if not users:
            return None
        attributes = {
            item["Name"]: item.get("Value", "") for item in users[0].get("Attributes", [])
        }
        if attributes.get("email_verified") != "true":
            return None
        return attributes.get("email") or None
