"""The versioned envelope every pet store event travels in.

    {"id", "type", "version", "source", "time", "correlationId", "data"}

`data` is one typed payload model per event type (see `catalog`); `correlationId` is the
order id for every event of the order saga, so one order's log lines and messages can be
followed across the services. Field names are camelCase on the wire.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar, cast

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

EVENT_ID_NAMESPACE = uuid.UUID("6c1b1f0e-7d1a-4b0e-9a53-2f1d3c7e8a41")


class Topic(StrEnum):
    """Where an event is published: the SNS topic (or Kafka topic) of its family."""

    ORDERS = "orders"
    PAYMENTS = "payments"
    NOTIFICATIONS = "notifications"


class CamelModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
    )


class EventData(CamelModel):
    """The payload of one event type. Readers ignore fields they do not know, so a newer
    version that only adds optional fields stays readable by older consumers."""

    model_config = ConfigDict(extra="ignore")

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1
    topic: ClassVar[Topic]

    def correlation_id(self) -> str:
        raise NotImplementedError


DataT = TypeVar("DataT", bound=EventData)


class Event[DataT: EventData](CamelModel):
    id: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    source: str = Field(min_length=1, max_length=100)
    time: AwareDatetime
    correlation_id: str = Field(min_length=1, max_length=200)
    data: DataT

    @model_validator(mode="after")
    def _type_matches_data(self) -> Event[DataT]:
        if self.type != self.data.event_type:
            raise ValueError(f"type {self.type!r} does not match its data ({self.data.event_type})")
        return self

    def to_json(self) -> str:
        return self.model_dump_json()


def new_event[DataT: EventData](
    data: DataT,
    *,
    source: str,
    event_id: str | None = None,
    time: datetime | None = None,
) -> Event[DataT]:
    """An envelope around `data`, stamped now, with a fresh id unless one is given."""
    # Parametrised with the payload's own class, so the payload serialises in full.
    event_class: Any = cast(Any, Event)[type(data)]
    return event_class(
        id=event_id or str(uuid.uuid4()),
        type=data.event_type,
        version=data.event_version,
        source=source,
        time=time or datetime.now(UTC),
        correlation_id=data.correlation_id(),
        data=data,
    )


def derived_event_id(*parts: Any) -> str:
    """A stable id for the event a given cause produces, so that producing it again (after
    a redelivery) yields the same id and consumers see a duplicate, not a new event."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, "/".join(str(part) for part in parts)))
