"""DynamoDB Time to Live in the emulator: expired items are deleted, as on AWS.

moto records a table's TimeToLiveSpecification and never acts on it, so items whose TTL
had passed (idempotency records, published outbox events) stayed for ever and the
emulator grew with them. DynamoDB deletes an item in the background once the time in its
TTL attribute has passed, when that attribute is a Number of epoch seconds; an item whose
time lies more than five years in the past is not deleted. Its stream (if any) gets a
REMOVE record with the old image and `userIdentity` {"type": "Service", "principalId":
"dynamodb.amazonaws.com"}, which tells a TTL deletion from a user's. AWS makes no
promise of how soon after expiry ("within a few days"); the emulator looks once a
minute, between two DynamoDB requests (holding the lock that keeps them whole), at up to
SWEEP_BUDGET items of each table, going on where the last look stopped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from itertools import chain, islice
from typing import Any
from weakref import WeakKeyDictionary

from moto.core.base_backend import BackendDict
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from localcloud.emulator.patches import stream_records
from localcloud.emulator.quiet_turns import QuietTurns

SWEEP_EVERY_S = 60.0
OLDEST_DELETED_S = 5 * 365 * 24 * 3600
"""A TTL further in the past than this is taken as not meant as one: AWS leaves the item."""
TTL_DELETION = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}

SWEEP_BUDGET = 20_000
"""The most items of a table one sweep looks at (~50 ms): a bigger table is looked at in
turns. A day of the store's traffic leaves over a million idempotency records and
outbox events, which a whole look each minute took seconds of CPU for."""
clock: Callable[[], float] = time.time
"""Epoch seconds; tests replace it."""

_resume_at: WeakKeyDictionary[Table, int] = WeakKeyDictionary()
"""Where in its items a table's next sweep begins."""


def delete_expired(backends: BackendDict[DynamoDBBackend] = dynamodb_backends) -> int:
    """Deletes every expired item of every table with TTL enabled; how many were."""
    now = clock()
    deleted = 0
    for backend in _each_backend(backends):
        for table in list(backend.tables.values()):
            deleted += _delete_expired_items(table, now)
    return deleted


def _each_backend(backends: BackendDict[DynamoDBBackend]) -> Iterator[DynamoDBBackend]:
    for regions in list(backends.values()):
        yield from list(regions.values())


def _delete_expired_items(table: Table, now: float) -> int:
    attribute = _ttl_attribute(table)
    if attribute is None:
        return 0
    start = _resume_at.get(table, 0)
    looked_at = list(islice(_items(table), start, start + SWEEP_BUDGET))
    expired = [item for item in looked_at if _has_expired(item, attribute, now)]
    for item in expired:
        table.delete_item(item.hash_key, item.range_key)
        if table.stream_shard is not None and table.stream_shard.items:
            stream_records.add_field(
                table.stream_shard.items[-1], "userIdentity", dict(TTL_DELETION)
            )
    # The items deleted were before where the next sweep begins; at the end, from the start.
    ended = len(looked_at) < SWEEP_BUDGET
    _resume_at[table] = 0 if ended else start + len(looked_at) - len(expired)
    return len(expired)


def _ttl_attribute(table: Table) -> str | None:
    ttl: dict[str, Any] = table.ttl or {}
    if ttl.get("TimeToLiveStatus") != "ENABLED":
        return None
    name = ttl.get("AttributeName")
    return name if isinstance(name, str) and name else None


def _items(table: Table) -> Iterable[Item]:
    stored: list[Any] = list(table.items.values())
    if table.range_key_attr is None:
        return stored
    return chain.from_iterable(by_range.values() for by_range in stored)


def _has_expired(item: Item, attribute: str, now: float) -> bool:
    value = item.attrs.get(attribute)
    if value is None or value.type != "N":
        return False
    try:
        expires = Decimal(value.value)
    except (InvalidOperation, TypeError):
        return False
    return now - OLDEST_DELETED_S <= expires <= now


def expired_item_sweeps(quiet: threading.Lock, every_s: float = SWEEP_EVERY_S) -> QuietTurns:
    """Deletes expired items every `every_s` until stopped."""
    return QuietTurns("expired item sweeps", every_s, quiet, lambda: delete_expired())
