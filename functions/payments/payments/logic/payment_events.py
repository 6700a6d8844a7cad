"""The events the payments service announces. Their ids derive from order, type and
attempt, so the same decision announced twice is one event."""

from __future__ import annotations

from typing import Any

from petstore_shared.events.catalog import OrderRef
from petstore_shared.events.envelope import Event, derived_event_id, new_event

EVENT_SOURCE = "petstore.payments"


def announce(data: OrderRef) -> Event[Any]:
    return new_event(
        data,
        source=EVENT_SOURCE,
        event_id=derived_event_id(data.order_id, data.event_type, data.attempt),
    )
