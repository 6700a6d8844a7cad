"""The event bus as the services see it: one method. Each transport (SNS now, Kafka
next) is an adapter behind it; the topic comes from the event's family."""

from __future__ import annotations

from typing import Any, Protocol

from petstore_shared.events.envelope import Event


class EventBus(Protocol):
    def publish(self, event: Event[Any]) -> None:
        """Publish the event to its family's topic; raise if the transport refused it."""


class TopicNotConfigured(Exception):
    def __init__(self, topic: str) -> None:
        super().__init__(f"This function has no destination for the {topic!r} topic.")
