"""DynamoDB stream records sized as DynamoDB sizes them, and kept as their JSON text.

A record's `SizeBytes` is the size of its keys and images, each counted as DynamoDB
counts an item's size: attribute names plus values. AWS's examples bear this out
(Keys {Id: 101} with NewImage {Message: "New item!", Id: 101} is 26 bytes). moto
writes the length of the record's JSON, about ten times that. moto's own item
sizes do the counting.

A stream keeps every record for 24 hours, then trims it. moto keeps each record for ever,
as nested dicts, one per attribute of its images (~4 KB for an order's NEW_AND_OLD_IMAGES
record). The emulator keeps the record's JSON text instead (~1 KB), reads it back when the
record is served, and once a minute trims the records older than 24 hours: a shard's
TRIM_HORIZON (and the StartingSequenceNumber DescribeStream gives) is then its oldest
record kept, and an iterator at a trimmed record fails with TrimmedDataAccessException
(`shard_iterators`).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.core.base_backend import BackendDict
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamRecord, StreamShard
from moto.dynamodb.models.utilities import DynamoJsonEncoder, bytesize

from localcloud.emulator.quiet_turns import QuietTurns

MOTO_INIT = StreamRecord.__init__
CREATED = "ApproximateCreationDateTime"
IMAGES = ("Keys", "NewImage", "OldImage")
BINARY_TYPE = re.compile(r'"BS?":')
RETENTION_S = 24 * 3600.0
TRIM_EVERY_S = 60.0

clock: Callable[[], float] = time.time
"""Epoch seconds; tests replace it."""


def init(
    self: StreamRecord,
    table: Any,
    stream_type: str,
    event_name: str,
    old: Item | None,
    new: Item | None,
    seq: int,
) -> None:
    MOTO_INIT(self, table, stream_type, event_name, old, new, seq)
    change = self.record["dynamodb"]
    images = [image for name, image in (("NewImage", new), ("OldImage", old)) if name in change]
    keyed = old if old is not None else new
    assert keyed is not None, "a change has an old item, a new one, or both"
    change["SizeBytes"] = keys_size(keyed, change["Keys"]) + sum(
        image.size() for image in images if image is not None
    )
    _store(self, self.record)


def to_json(self: StreamRecord) -> dict[str, Any]:
    fields = vars(self)
    if "stored" not in fields:  # moto's own record, as a state saved before kept it
        record: dict[str, Any] = self.record
        return record
    record = json.loads(fields["stored"])
    change = record["dynamodb"]
    change[CREATED] = fields["created"]
    if fields["binary"]:
        for part in IMAGES:
            if part in change:
                change[part] = {name: _bytes_again(value) for name, value in change[part].items()}
    return record


def add_field(record: StreamRecord, name: str, value: Any) -> None:
    """Adds a top-level field (`userIdentity`) to a record made already."""
    whole = to_json(record)
    whole[name] = value
    if "stored" in vars(record):
        _store(record, whole)


def _store(record: StreamRecord, whole: dict[str, Any]) -> None:
    """Keeps `whole` as its JSON text, beside the time it was made (a datetime, which
    moto's responses format as AWS does) and whether it may hold binary values: JSON holds
    them as base64 text, which `to_json` turns back into bytes. (moto's own Keys hold a
    binary key as base64 text, which its response encoded a second time.)"""
    fields = vars(record)
    fields.pop("record", None)
    change = dict(whole["dynamodb"])
    created: datetime = change.pop(CREATED)
    text = json.dumps({**whole, "dynamodb": change}, cls=DynamoJsonEncoder, separators=(",", ":"))
    fields["created"] = created
    fields["stored"] = text.encode()
    fields["binary"] = BINARY_TYPE.search(text) is not None


def _bytes_again(value: dict[str, Any]) -> dict[str, Any]:
    """A typed value of an image read back from JSON, its binary values bytes again."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {kind: base64.b64decode(inner)}
    if kind == "BS":
        return {kind: [base64.b64decode(each) for each in inner]}
    if kind == "L":
        return {kind: [_bytes_again(each) for each in inner]}
    if kind == "M":
        return {kind: {name: _bytes_again(each) for name, each in inner.items()}}
    return value


def trim_expired(backends: BackendDict[DynamoDBBackend] = dynamodb_backends) -> int:
    """Drops every shard's records older than a stream keeps them; how many were."""
    oldest_kept = clock() - RETENTION_S
    trimmed = 0
    for regions in list(backends.values()):
        for backend in list(regions.values()):
            for table in list(backend.tables.values()):
                if table.stream_shard is not None:
                    trimmed += _trim(table.stream_shard, oldest_kept)
    return trimmed


def _trim(shard: StreamShard, oldest_kept: float) -> int:
    expired = 0
    for record in shard.items:
        if made_at(record) >= oldest_kept:
            break
        expired += 1
    if expired:
        # moto numbers a shard's records from its starting sequence number.
        del shard.items[:expired]
        shard.starting_sequence_number += expired
    return expired


def made_at(record: StreamRecord) -> float:
    """Epoch seconds (moto makes records with naive UTC datetimes)."""
    made: datetime = vars(record).get("created") or record.to_json()["dynamodb"][CREATED]
    return made.replace(tzinfo=UTC).timestamp() if made.tzinfo is None else made.timestamp()


def trims(quiet: threading.Lock, every_s: float = TRIM_EVERY_S) -> QuietTurns:
    """Trims the records a stream no longer keeps every `every_s` until stopped."""
    return QuietTurns("stream record trims", every_s, quiet, lambda: trim_expired())


def keys_size(item: Item, keys: dict[str, Any]) -> int:
    return sum(bytesize(name) + item.attrs[name].size() for name in keys)


def install() -> None:
    StreamRecord.__init__ = init  # type: ignore[method-assign]
    StreamRecord.to_json = to_json  # type: ignore[method-assign]
