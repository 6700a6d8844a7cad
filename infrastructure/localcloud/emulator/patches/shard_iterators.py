"""DynamoDB Streams shard iterators that expire, as on AWS.

moto keeps every shard iterator it issues (by GetShardIterator and as each GetRecords'
NextShardIterator) for ever, ~2 KB each: with the local cloud's stream pollers reading
several times a second, an idle emulator grew ~7.5 MB a minute. On AWS an iterator
expires 15 minutes after it was issued, and a read with it fails with
ExpiredIteratorException. Here each iterator carries when it was issued (in its id, so
that one already forgotten is still known as expired); iterators are kept in the order
they were issued, and the expired ones are dropped whenever one is issued or read.

An iterator at a record the stream has trimmed (older than 24 hours: `stream_records`),
asked for or read, fails with TrimmedDataAccessException, as on AWS.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
import time
from collections.abc import Callable
from typing import Any

from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
from moto.dynamodbstreams.models import DynamoDBStreamsBackend, ShardIterator

LIFETIME_S = 15 * 60.0
ID_RANDOM_BYTES = 64
"""After the 8 bytes of the issue time. moto's ids are 472 random bytes; the emulator holds
15 minutes of iterators, each kept twice (its id, and its ARN as the key), so the
shorter id makes the steady state ~3 times smaller."""
ISSUED = struct.Struct(">d")

clock: Callable[[], float] = time.monotonic
"""When iterators are issued and read; tests replace it."""

MOTO_ITERATOR_INIT = ShardIterator.__init__
MOTO_GET_SHARD_ITERATOR = DynamoDBStreamsBackend.get_shard_iterator
MOTO_GET_RECORDS = DynamoDBStreamsBackend.get_records


class ExpiredIterator(DynamodbException):
    def __init__(self, issued_at: float, now: float) -> None:
        super().__init__(
            ERROR_TYPE_PREFIX + "ExpiredIteratorException",
            message=f"Iterator expired: it was issued {now - issued_at:.0f} s ago; "
            f"iterators are valid for {LIFETIME_S:.0f} s.",
        )


class TrimmedDataAccess(DynamodbException):
    def __init__(self) -> None:
        super().__init__(
            ERROR_TYPE_PREFIX + "TrimmedDataAccessException",
            message="The iterator's position is older than the stream's oldest record: records "
            "older than 24 hours are trimmed.",
        )


class InvalidIterator(DynamodbException):
    def __init__(self) -> None:
        super().__init__(ERROR_TYPE_PREFIX + "ValidationException", message="Invalid ShardIterator")


def iterator_init(self: ShardIterator, *args: Any, **kwargs: Any) -> None:
    MOTO_ITERATOR_INIT(self, *args, **kwargs)
    self.id = base64.b64encode(ISSUED.pack(clock()) + os.urandom(ID_RANDOM_BYTES)).decode()


def get_shard_iterator(self: DynamoDBStreamsBackend, *args: Any, **kwargs: Any) -> ShardIterator:
    forget_expired(self, clock())
    iterator = MOTO_GET_SHARD_ITERATOR(self, *args, **kwargs)
    if _trimmed(iterator):
        del self.shard_iterators[iterator.arn]
        raise TrimmedDataAccess()
    return iterator


def get_records(self: DynamoDBStreamsBackend, iterator_arn: str, limit: int) -> dict[str, Any]:
    now = clock()
    forget_expired(self, now)
    if iterator_arn not in self.shard_iterators:
        issued_at = _issued_at(iterator_arn)
        if issued_at is not None and now - issued_at >= LIFETIME_S:
            raise ExpiredIterator(issued_at, now)
        raise InvalidIterator()
    if _trimmed(self.shard_iterators[iterator_arn]):
        raise TrimmedDataAccess()
    return MOTO_GET_RECORDS(self, iterator_arn, limit)


def _trimmed(iterator: ShardIterator) -> bool:
    return int(iterator.sequence_number) < iterator.stream_shard.starting_sequence_number


def forget_expired(backend: DynamoDBStreamsBackend, now: float) -> None:
    """Iterators are kept in the order they were issued: the expired ones come first."""
    iterators = backend.shard_iterators
    while iterators:
        oldest = next(iter(iterators))
        issued_at = _issued_at(oldest)
        if issued_at is not None and now - issued_at < LIFETIME_S:
            return
        del iterators[oldest]


def _issued_at(iterator_arn: str) -> float | None:
    """From the iterator's id: its first 12 base64 characters hold the 8 bytes of the time."""
    try:
        head = base64.b64decode(iterator_arn.rsplit("|", 1)[-1][:12], validate=True)
        issued_at: float = ISSUED.unpack(head[: ISSUED.size])[0]
    except (binascii.Error, struct.error, ValueError):
        return None
    return issued_at


PATCHES = (
    (ShardIterator, "__init__", iterator_init),
    (DynamoDBStreamsBackend, "get_shard_iterator", get_shard_iterator),
    (DynamoDBStreamsBackend, "get_records", get_records),
)


def install() -> None:
    for owner, name, replacement in PATCHES:
        setattr(owner, name, replacement)
