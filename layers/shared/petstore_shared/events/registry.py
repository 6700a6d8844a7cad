"""Parse any event of the catalogue from its JSON: the envelope's `type` picks the
payload model. A version newer than the model is read with the model (newer versions
only add optional fields, which the model ignores)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from petstore_shared.events.catalog import EVENT_DATA_MODELS
from petstore_shared.events.envelope import Event, EventData

DATA_MODEL_BY_TYPE: Mapping[str, type[EventData]] = {
    model.event_type: model for model in EVENT_DATA_MODELS
}


class MalformedEvent(Exception):
    """The message is not an event of the catalogue; retrying will not change that."""


def parse_event(message: str | bytes | Mapping[str, Any]) -> Event[Any]:
    document = _as_document(message)
    event_type = document.get("type")
    model = DATA_MODEL_BY_TYPE.get(event_type) if isinstance(event_type, str) else None
    if model is None:
        raise MalformedEvent(f"Unknown event type {event_type!r}")
    try:
        return Event[model].model_validate(document)  # type: ignore[valid-type]
    except ValidationError as error:
        raise MalformedEvent(f"Invalid {event_type} event: {_summary(error)}") from error


def _as_document(message: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(message, Mapping):
        return message
    try:
        document = json.loads(message)
    except (ValueError, RecursionError) as error:
        raise MalformedEvent("The message is not JSON") from error
    if not isinstance(document, dict):
        raise MalformedEvent("The message is not a JSON object")
    return document


def _summary(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}"
        for detail in error.errors()[:5]
    )
