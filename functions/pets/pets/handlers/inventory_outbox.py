"""Where the inventory consumers record the events they announce: the outbox in the
pets table, published by its stream."""

from __future__ import annotations

from typing import Any

from pets.settings import PetsSettings
from petstore_shared.aws_clients import dynamodb_client
from petstore_shared.events.envelope import Event
from petstore_shared.events.outbox import add_to_outbox
from petstore_shared.settings import load_settings


def record_inventory_event(event: Event[Any]) -> bool:
    return add_to_outbox(dynamodb_client(), load_settings(PetsSettings).pets_table_name, event)
