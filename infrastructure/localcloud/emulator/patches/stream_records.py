"""DynamoDB stream records sized as DynamoDB sizes them.

A record's `SizeBytes` is the size of its keys and images, each counted as DynamoDB
counts an item's size: attribute names plus values. AWS's examples bear this out
(Keys {Id: 101} with NewImage {Message: "New item!", Id: 101} is 26 bytes). moto
writes the length of the record's JSON, about ten times that. moto's own item
sizes do the counting.
"""

from __future__ import annotations

from typing import Any

from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import StreamRecord
from moto.dynamodb.models.utilities import bytesize

MOTO_INIT = StreamRecord.__init__


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


def keys_size(item: Item, keys: dict[str, Any]) -> int:
    return sum(bytesize(name) + item.attrs[name].size() for name in keys)


def install() -> None:
    StreamRecord.__init__ = init  # type: ignore[method-assign]
