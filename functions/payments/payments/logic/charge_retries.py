"""The charge-retry port: how a charge that the provider did not answer is tried again
later, on its own schedule, without holding back any other order's charge."""

from __future__ import annotations

from typing import Any, Protocol

from petstore_shared.events.envelope import Event


class ChargeRetries(Protocol):
    def send_later(self, event: Event[Any], delay_s: int) -> None:
        """Hand `event` back to the charging consumer in `delay_s` seconds."""
