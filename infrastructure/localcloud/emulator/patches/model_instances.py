"""moto's record of every model object it makes holds each one weakly.

moto appends every object of every model class it ever makes (`BaseModel.__new__`) to
the class's `instances_tracked` list, for its data dump (`/moto-api/data.json`) and
its reset, and never lets go of one: every DynamoDB item it copies to answer a GetItem
or a Query, every item deleted or expired, every SQS message deleted, every stream
record, log event and metric datapoint dropped stayed in memory for as long as the
emulator ran (6,345 items after four minutes of the soak's traffic, most of them copies
made for answers). Here each class's record is a `LiveInstances`: the dump still lists
every object that is alive, and the rest are freed as Python frees them. Log events,
datapoints and stream records, thousands a minute that their backends keep in lists of
their own, are not listed at all (a weak reference is 72 bytes an object).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from moto.core.common_models import BaseModel

MOTO_NEW = BaseModel.__new__
COMPACT_AT = 1024
"""Dead references are dropped once there are this many, and as many as live ones."""


class LiveInstances:
    """An append-only collection of objects, each held weakly; iteration yields the live
    ones in the order they were added."""

    def __init__(self, instances: Iterable[Any] = ()) -> None:
        self._refs: list[weakref.ref[Any]] = []
        self._dead = 0
        self._lock = threading.Lock()
        for instance in instances:
            self.append(instance)

    def append(self, instance: Any) -> None:
        try:
            ref = weakref.ref(instance, self._one_died)
        except TypeError:  # a class without weak references: not listed, not kept
            return
        with self._lock:
            if self._dead >= COMPACT_AT and self._dead * 2 >= len(self._refs):
                self._refs = [kept for kept in self._refs if kept() is not None]
                self._dead = 0
            self._refs.append(ref)

    def __iter__(self) -> Iterator[Any]:
        with self._lock:
            refs = list(self._refs)
        for ref in refs:
            instance = ref()
            if instance is not None:
                yield instance

    def __len__(self) -> int:
        """The references held, live or not yet dropped."""
        return len(self._refs)

    def _one_died(self, _: weakref.ref[Any]) -> None:
        # Runs wherever the object is freed, maybe in a thread that holds the lock:
        # a count only (one lost to a race delays a compaction a little).
        self._dead += 1


UNLISTED = frozenset(
    {
        ("moto.logs.models", "LogEvent"),
        ("moto.cloudwatch.models", "MetricDatum"),
        ("moto.cloudwatch.models", "MetricAggregatedDatum"),
        ("moto.dynamodb.models.table", "StreamRecord"),
    }
)
"""(module, class) of the models whose objects are not listed."""

_swap = threading.Lock()


def tracked_weakly(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
    """moto's `BaseModel.__new__`, with the class's record made a `LiveInstances` first
    (moto's reset puts a new list in its place)."""
    if (cls.__module__, cls.__qualname__) in UNLISTED:
        return super(BaseModel, cls).__new__(cls)
    if type(cls.__dict__.get("instances_tracked")) is not LiveInstances:
        with _swap:
            tracked = cls.__dict__.get("instances_tracked")
            if type(tracked) is not LiveInstances:
                cls.instances_tracked = LiveInstances(tracked or [])  # type: ignore[attr-defined]
    return MOTO_NEW(cls, *args, **kwargs)


def install() -> None:
    BaseModel.__new__ = staticmethod(tracked_weakly)  # type: ignore[method-assign]
