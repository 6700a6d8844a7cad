"""The topics a stack declares made to exist on its cluster, idempotently: missing ones
are created, ones with fewer partitions grown; nothing is ever deleted or shrunk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class WantedTopic:
    name: str
    partitions: int


@dataclass(frozen=True)
class TopicChanges:
    created: tuple[str, ...] = ()
    grown: tuple[str, ...] = ()


class TopicAdmin(Protocol):
    """What the topics need of Kafka's admin API."""

    def partition_counts(self) -> dict[str, int]:
        """Every topic of the cluster, with its number of partitions."""
        ...

    def create(self, topics: Sequence[WantedTopic]) -> None: ...

    def grow(self, topics: Sequence[WantedTopic]) -> None:
        """Raise each topic's partitions to the wanted number."""
        ...


class InvalidTopics(ValueError):
    """The custom resource's Topics property cannot be made."""


class PartitionsCannotShrink(Exception):
    def __init__(self, topics: Mapping[str, tuple[int, int]]) -> None:
        described = ", ".join(
            f"{name} has {have} partitions, not {want}" for name, (have, want) in topics.items()
        )
        super().__init__(f"Kafka cannot take partitions from a topic: {described}.")


def wanted_topics(properties: Mapping[str, Any]) -> list[WantedTopic]:
    """The `Topics` property: `[{Name, Partitions}]`. CloudFormation sends every scalar
    of a custom resource's properties as a string, so numbers are read from text."""
    declared = properties.get("Topics")
    if not isinstance(declared, list) or not declared:
        raise InvalidTopics("Topics must list the topics, each with a Name and Partitions.")
    topics = [_wanted_topic(entry) for entry in declared]
    names = [topic.name for topic in topics]
    if len(set(names)) != len(names):
        raise InvalidTopics(f"Topics names a topic twice: {sorted(names)}.")
    return topics


def _wanted_topic(entry: Any) -> WantedTopic:
    if not isinstance(entry, dict) or not entry.get("Name"):
        raise InvalidTopics(f"Each of Topics needs a Name: {entry!r}.")
    try:
        partitions = int(entry.get("Partitions", 1))
    except (TypeError, ValueError):
        raise InvalidTopics(f"Partitions of {entry['Name']} is not a number.") from None
    if partitions < 1:
        raise InvalidTopics(f"Partitions of {entry['Name']} must be at least 1.")
    return WantedTopic(str(entry["Name"]), partitions)


def ensure_topics(admin: TopicAdmin, wanted: Sequence[WantedTopic]) -> TopicChanges:
    existing = admin.partition_counts()
    too_many = {
        topic.name: (existing[topic.name], topic.partitions)
        for topic in wanted
        if existing.get(topic.name, 0) > topic.partitions
    }
    if too_many:
        raise PartitionsCannotShrink(too_many)
    missing = [topic for topic in wanted if topic.name not in existing]
    short = [
        topic
        for topic in wanted
        if topic.name in existing and existing[topic.name] < topic.partitions
    ]
    if missing:
        admin.create(missing)
    if short:
        admin.grow(short)
    return TopicChanges(
        created=tuple(topic.name for topic in missing), grown=tuple(topic.name for topic in short)
    )
