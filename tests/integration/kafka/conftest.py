"""A real Kafka-protocol broker (the local cloud's Tansu) for the Kafka tests, and a fresh
topic for each test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from localcloud.emulator.process import free_port
from localcloud.event_sources.kafka.broker import KafkaBroker, start_local_broker
from localcloud.event_sources.kafka.mapping import KafkaTopic

_names = itertools.count()


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    broker = start_local_broker("127.0.0.1", free_port())
    yield broker
    broker.stop()


@pytest.fixture
def topic(kafka_broker: KafkaBroker) -> str:
    """A fresh topic of three partitions for one test."""
    name = f"test-topic-{next(_names)}"
    kafka_broker.recreate_topics([KafkaTopic(name, 3), KafkaTopic(f"{name}-dlq", 1)])
    return name
