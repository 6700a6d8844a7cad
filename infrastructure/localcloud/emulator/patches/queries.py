"""DynamoDB Query for the emulator: a page costs its own items, not the table's.

moto 5.2 answers every Query by walking all of the table's items, keeping the
partition's and sorting them (a page of 21 from a GSI partition, moto in process:
~35 ms with 100 items, ~860 ms with 10,000). Here each table keeps, for its base
key and each index, every partition's items in the order moto's Query returns them,
kept current by the writes; a Query bisects to where its page starts and reads only
the page.

The answers are moto's own: the same items, order, LastEvaluatedKey and
ScannedCount, with the filter, projection and size limit applied as moto applies
them. A request this index does not cover (legacy QueryFilter, a multi-attribute
or binary key, a key value of another type than the table declares, an item over
DynamoDB's size limit) is answered by moto's Query.
"""

from __future__ import annotations

import copy
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, GlobalSecondaryIndex, Table

MOTO_QUERY = Table.query
MOTO_PUT_ITEM = Table.put_item
MOTO_DELETE_ITEM = Table.delete_item
MOTO_UPDATE_ITEM = DynamoDBBackend.update_item

MAX_ITEM_BYTES = 405_000
"""moto's item size limit on a put; an update of a nested attribute can exceed it."""
INDEXED_KEY_TYPES = frozenset({"S", "N"})
RANGE_POSITION = 1
"""Every order below sorts by hash key first, then by the sort key a condition tests."""

SortKey = tuple[DynamoType, ...]
TableKey = tuple[DynamoType, DynamoType | None]
QueryAnswer = tuple[list[Item], int, dict[str, Any] | None]
by_range_key = itemgetter(RANGE_POSITION)


class NotCovered(Exception):
    """The request is left to moto's own Query."""


@dataclass(frozen=True)
class Layout:
    """Where moto's Query places an item of one index (None: the base table)."""

    index_name: str | None
    hash_attr: str
    sort_attrs: tuple[str, ...]
    key_types: tuple[str, ...]
    range_attr: str | None
    """The attribute a key condition on the sort key tests; None where moto refuses one."""


@dataclass
class Partition:
    keys: list[SortKey] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


@dataclass
class Placement:
    """An item's entry in one index, as it was when placed: moto updates items in place."""

    index_name: str | None
    partition: DynamoType
    sort_key: SortKey


@dataclass
class TableIndex:
    """One table's partitions, per index, in Query order."""

    signature: tuple[Any, ...]
    items_ref: Any
    """The table's item store it was built from: moto swaps in a copy when it restores one."""
    layouts: dict[str | None, Layout]
    partitions: dict[str | None, dict[DynamoType, Partition]] = field(default_factory=dict)
    placements: dict[TableKey, list[Placement]] = field(default_factory=dict)
    irregular: dict[str | None, set[TableKey]] = field(default_factory=dict)
    """Items whose key attribute has another type than the table declares, per index."""
    oversized: set[TableKey] = field(default_factory=set)
    stale: bool = False
    """Set when a write could not be placed: the next Query rebuilds the index."""


@dataclass(frozen=True)
class QueryRequest:
    hash_key: DynamoType | None
    range_comparison: str | None
    range_objs: list[DynamoType]
    limit: Any
    exclusive_start_key: dict[str, Any] | None
    scan_index_forward: bool
    projection_expressions: list[list[str]] | None
    index_name: str | None
    consistent_read: bool
    filter_expression: Any
    hash_key_conditions: list[tuple[str, DynamoType]] | None
    range_key_conditions: list[tuple[str, str, list[DynamoType]]] | None


@dataclass(frozen=True)
class Span:
    """The partition positions a Query reads in order, and whether the partition goes
    on past them in the Query's direction."""

    positions: range
    has_more: bool


_indexes: weakref.WeakKeyDictionary[Table, TableIndex] = weakref.WeakKeyDictionary()


def query(
    self: Table,
    hash_key: DynamoType | None,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    limit: int,
    exclusive_start_key: dict[str, Any],
    scan_index_forward: bool,
    projection_expressions: list[list[str]] | None,
    index_name: str | None = None,
    consistent_read: bool = False,
    filter_expression: Any = None,
    hash_key_conditions: list[tuple[str, DynamoType]] | None = None,
    range_key_conditions: list[tuple[str, str, list[DynamoType]]] | None = None,
    **filter_kwargs: Any,
) -> QueryAnswer:
    request = QueryRequest(
        hash_key,
        range_comparison,
        range_objs,
        limit,
        exclusive_start_key,
        scan_index_forward,
        projection_expressions,
        index_name,
        consistent_read,
        filter_expression,
        hash_key_conditions,
        range_key_conditions,
    )
    if not filter_kwargs:
        try:
            return _indexed_query(self, request)
        except NotCovered:
            pass
    return MOTO_QUERY(
        self,
        hash_key,
        range_comparison,
        range_objs,
        limit,
        exclusive_start_key,
        scan_index_forward,
        projection_expressions,
        index_name,
        consistent_read,
        filter_expression,
        hash_key_conditions=hash_key_conditions,
        range_key_conditions=range_key_conditions,
        **filter_kwargs,
    )


def put_item(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
    try:
        return MOTO_PUT_ITEM(self, item_attrs, *args, **kwargs)
    finally:
        _reindex_attrs(self, item_attrs)


def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
    try:
        return MOTO_DELETE_ITEM(self, hash_key, range_key)
    finally:
        _reindex(self, hash_key, range_key)


def update_item(
    self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
) -> Item:
    """moto changes the stored item in place, so its index entries are found again
    from the key, whether or not the update went through."""
    try:
        return MOTO_UPDATE_ITEM(self, table_name, key, *args, **kwargs)
    finally:
        table = self.tables.get(table_name)
        if table is not None:
            _reindex_attrs(table, key)


PATCHES: tuple[tuple[type, str, Any], ...] = (
    (Table, "query", query),
    (Table, "put_item", put_item),
    (Table, "delete_item", delete_item),
    (DynamoDBBackend, "update_item", update_item),
)


def install() -> None:
    for owner, name, replacement in PATCHES:
        setattr(owner, name, replacement)


def _indexed_query(table: Table, request: QueryRequest) -> QueryAnswer:
    if request.limit is not None and (type(request.limit) is not int or request.limit < 1):
        raise NotCovered
    index = _current_index(table)
    layout = index.layouts.get(request.index_name)
    if layout is None or index.irregular[layout.index_name] or index.oversized:
        raise NotCovered
    if request.consistent_read and _is_global_index(table, layout.index_name):
        raise NotCovered
    partition_key = _partition_key(layout, request)
    partition = index.partitions[layout.index_name].get(partition_key, Partition())
    return _read_page(table, partition, _span(layout, partition, request), request)


def _is_global_index(table: Table, index_name: str | None) -> bool:
    """moto refuses a consistent read of a global index."""
    return index_name is not None and isinstance(table.get_index(index_name), GlobalSecondaryIndex)


def _partition_key(layout: Layout, request: QueryRequest) -> DynamoType:
    """moto finds an index's partition by the key conditions and a base table's by
    `hash_key`, which the conditions, if given, must agree with."""
    conditions = list(request.hash_key_conditions or [])
    if layout.index_name is None and request.hash_key is not None and not conditions:
        conditions = [(layout.hash_attr, request.hash_key)]
    if len(conditions) != 1 or conditions[0][0] != layout.hash_attr:
        raise NotCovered
    value = conditions[0][1]
    if layout.index_name is None and (request.hash_key is None or request.hash_key != value):
        raise NotCovered
    if not _is_valid_key_value(value, layout.key_types[0]):
        raise NotCovered
    return value


def _span(layout: Layout, partition: Partition, request: QueryRequest) -> Span:
    lower, upper = _matching_bounds(layout, partition.keys, request)
    start = _start_key(layout, request.exclusive_start_key)
    if request.scan_index_forward:
        first = 0 if start is None else bisect_right(partition.keys, start)
        begin = max(lower, first)
        return Span(range(begin, max(begin, upper)), has_more=upper < len(partition.keys))
    last = len(partition.keys) - 1 if start is None else bisect_left(partition.keys, start) - 1
    begin = min(upper - 1, last)
    return Span(range(begin, min(begin, lower - 1), -1), has_more=lower > 0)


def _matching_bounds(layout: Layout, keys: list[SortKey], request: QueryRequest) -> tuple[int, int]:
    """The positions [lower, upper) whose sort key meets the key condition: one run,
    since a partition is in sort-key order."""
    comparison = request.range_comparison
    if comparison is None:
        return 0, len(keys)
    if layout.range_attr is None or not _names_the_range_key(layout, request):
        raise NotCovered
    values = request.range_objs
    range_type = layout.key_types[RANGE_POSITION]
    if len(values) != (2 if comparison == "BETWEEN" else 1):
        raise NotCovered
    if not all(_is_valid_key_value(value, range_type) for value in values):
        raise NotCovered
    return _bounds_for(comparison, keys, values)


def _bounds_for(comparison: str, keys: list[SortKey], values: list[DynamoType]) -> tuple[int, int]:
    value = values[0]
    if comparison == "=":
        return _before(keys, value), _after(keys, value)
    if comparison == "<":
        return 0, _before(keys, value)
    if comparison == "<=":
        return 0, _after(keys, value)
    if comparison == ">":
        return _after(keys, value), len(keys)
    if comparison == ">=":
        return _before(keys, value), len(keys)
    if comparison == "BETWEEN":
        return _before(keys, value), _after(keys, values[1])
    if comparison == "BEGINS_WITH" and value.type == "S":
        lower = _before(keys, value)
        prefix: str = value.value
        return lower, bisect_left(
            keys, True, lo=lower, key=lambda key: not key[RANGE_POSITION].value.startswith(prefix)
        )
    raise NotCovered


def _before(keys: list[SortKey], value: DynamoType) -> int:
    return bisect_left(keys, value, key=by_range_key)


def _after(keys: list[SortKey], value: DynamoType) -> int:
    return bisect_right(keys, value, key=by_range_key)


def _names_the_range_key(layout: Layout, request: QueryRequest) -> bool:
    conditions = request.range_key_conditions
    return not conditions or (len(conditions) == 1 and conditions[0][0] == layout.range_attr)


def _start_key(layout: Layout, start_key: dict[str, Any] | None) -> SortKey | None:
    if start_key is None:
        return None
    try:
        values = tuple(DynamoType(start_key[name]) for name in layout.sort_attrs)
    except (KeyError, TypeError, IndexError, AttributeError) as error:
        raise NotCovered from error
    if not all(map(_is_valid_key_value, values, layout.key_types)):
        raise NotCovered
    return values


def _read_page(
    table: Table, partition: Partition, span: Span, request: QueryRequest
) -> QueryAnswer:
    """moto's walk over the candidates, from the span's first: stop before the item that
    would exceed the limit or the 1 MB page, and name the last item read as the key
    to continue from."""
    chosen: list[Item] = []
    size = 0
    for position in span.positions:
        item = partition.items[position]
        item_size = item.size()
        if len(chosen) == request.limit or size + item_size > RESULT_SIZE_LIMIT:
            return _answer(table, request, chosen, chosen[-1])
        chosen.append(item)
        size += item_size
    if span.has_more and len(chosen) == request.limit:
        return _answer(table, request, chosen, chosen[-1])
    if span.has_more and size + MAX_ITEM_BYTES > RESULT_SIZE_LIMIT:
        # moto goes on weighing every further item of the partition against the page.
        raise NotCovered
    return _answer(table, request, chosen, None)


def _answer(
    table: Table, request: QueryRequest, chosen: list[Item], last: Item | None
) -> QueryAnswer:
    last_key = None if last is None else table._get_last_evaluated_key(last, request.index_name)
    results = copy.deepcopy(chosen)
    if request.index_name:
        index = table.get_index(request.index_name)
        results = [index.project(item) for item in results]
    if request.filter_expression is not None:
        results = [item for item in results if request.filter_expression.expr(item)]
    if request.projection_expressions:
        results = [item.project(request.projection_expressions) for item in results]
    return results, len(chosen), last_key


def _is_valid_key_value(value: DynamoType, declared_type: str) -> bool:
    if value.type != declared_type:
        return False
    if declared_type == "S":
        return isinstance(value.value, str)
    try:
        return isinstance(value.value, str) and Decimal(value.value).is_finite()
    except InvalidOperation:
        return False


def _current_index(table: Table) -> TableIndex:
    index = _indexes.get(table)
    if index is None or index.stale or not _is_current(index, table):
        index = _build_index(table)
        _indexes[table] = index
    return index


def _is_current(index: TableIndex, table: Table) -> bool:
    return index.items_ref is table.items and index.signature == _signature(table)


def _signature(table: Table) -> tuple[Any, ...]:
    """What the layouts are made of: UpdateTable can add or drop an index."""
    return (
        tuple((a["AttributeName"], a["AttributeType"]) for a in table.attr),
        tuple(
            (
                index.name,
                isinstance(index, GlobalSecondaryIndex),
                tuple((key["AttributeName"], key["KeyType"]) for key in index.schema),
            )
            for index in table.all_indexes()
        ),
    )


def _build_index(table: Table) -> TableIndex:
    layouts = _layouts(table)
    index = TableIndex(_signature(table), table.items, layouts)
    index.partitions = {name: {} for name in layouts}
    index.irregular = {name: set() for name in layouts}
    unsorted: dict[str | None, dict[DynamoType, list[tuple[SortKey, Item]]]] = {
        name: {} for name in layouts
    }
    for table_key, item in _stored_items(table):
        for placement in _placements(index, table_key, item):
            bucket = unsorted[placement.index_name].setdefault(placement.partition, [])
            bucket.append((placement.sort_key, item))
    for name, buckets in unsorted.items():
        for partition_key, entries in buckets.items():
            entries.sort(key=itemgetter(0))
            index.partitions[name][partition_key] = Partition(
                keys=[sort_key for sort_key, _ in entries], items=[item for _, item in entries]
            )
    return index


def _layouts(table: Table) -> dict[str | None, Layout]:
    declared = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
    hash_attrs = [table.hash_key_attr]
    range_attrs: list[str | None] = [table.range_key_attr]
    layouts: dict[str | None, Layout | None] = {
        None: _layout(table, None, hash_attrs, range_attrs, table.range_key_attr, declared)
    }
    for name, index in {index.name: index for index in table.all_indexes()}.items():
        hash_keys = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
        range_keys = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"]
        if len(hash_keys) != 1 or len(range_keys) > 1:
            continue
        index_hash_attrs = [hash_keys[0], table.hash_key_attr]
        if range_keys:
            index_range_attrs = [range_keys[0], table.range_key_attr]
        elif isinstance(index, GlobalSecondaryIndex) and table.range_key_attr:
            index_range_attrs = [table.range_key_attr, table.range_key_attr]
        else:
            index_range_attrs = [table.hash_key_attr, table.range_key_attr]
        range_attr = range_keys[0] if range_keys else None
        layout = _layout(table, name, index_hash_attrs, index_range_attrs, range_attr, declared)
        if layout is not None:
            layouts[name] = layout
    return {name: layout for name, layout in layouts.items() if layout is not None}


def _layout(
    table: Table,
    index_name: str | None,
    hash_attrs: list[str],
    range_attrs: list[str | None],
    range_attr: str | None,
    declared: dict[str, str],
) -> Layout | None:
    """moto sorts a Query's candidates by these attributes (see
    Table._generate_attr_to_sort_by) and compares a start key by the same."""
    sort_attrs = tuple(table._generate_attr_to_sort_by(hash_attrs, range_attrs))
    if any(declared.get(name) not in INDEXED_KEY_TYPES for name in sort_attrs):
        return None
    if range_attr is not None and sort_attrs[RANGE_POSITION : RANGE_POSITION + 1] != (range_attr,):
        range_attr = None
    return Layout(
        index_name=index_name,
        hash_attr=hash_attrs[0],
        sort_attrs=sort_attrs,
        key_types=tuple(declared[name] for name in sort_attrs),
        range_attr=range_attr,
    )


def _stored_items(table: Table) -> Iterator[tuple[TableKey, Item]]:
    for stored in list(table.items.values()):
        if table.range_key_attr is None:
            if isinstance(stored, Item):
                yield (stored.hash_key, None), stored
        else:
            for item in list(stored.values()):
                yield (item.hash_key, item.range_key), item


def _placements(index: TableIndex, table_key: TableKey, item: Item) -> list[Placement]:
    """Where the item goes in each index it belongs to; an index whose key the item
    holds with the wrong type notes it instead, and leaves its queries to moto."""
    if item.size() > MAX_ITEM_BYTES:
        index.oversized.add(table_key)
    placements = []
    for name, layout in index.layouts.items():
        if not all(attr in item.attrs for attr in layout.sort_attrs):
            continue
        # Copies: an update changes the stored item in place.
        sort_key = tuple(DynamoType(item.attrs[attr]) for attr in layout.sort_attrs)
        if all(map(_is_valid_key_value, sort_key, layout.key_types)):
            placements.append(Placement(name, sort_key[0], sort_key))
        else:
            index.irregular[name].add(table_key)
    index.placements[table_key] = placements
    return placements


def _reindex_attrs(table: Table, attrs: dict[str, Any]) -> None:
    """Reindex the key these attributes name; an index that cannot tell which key
    that is gets rebuilt on its next Query."""
    if table not in _indexes:
        return
    try:
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = (
            None if table.range_key_attr is None else DynamoType(attrs[table.range_key_attr])
        )
    except (KeyError, TypeError, IndexError, AttributeError):
        _indexes[table].stale = True
        return
    _reindex(table, hash_value, range_value)


def _reindex(table: Table, hash_value: DynamoType, range_value: DynamoType | None) -> None:
    """Take the item under this key out of every index, and put back what is stored
    there now."""
    index = _indexes.get(table)
    if index is None or index.stale:
        return
    table_key: TableKey = (hash_value, range_value)
    if not _remove(index, table_key):
        index.stale = True
        return
    item = _stored_item(table, table_key)
    if item is None:
        return
    for placement in _placements(index, table_key, item):
        partition = index.partitions[placement.index_name].setdefault(
            placement.partition, Partition()
        )
        position = bisect_left(partition.keys, placement.sort_key)
        partition.keys.insert(position, placement.sort_key)
        partition.items.insert(position, item)


def _remove(index: TableIndex, table_key: TableKey) -> bool:
    """False if an entry is not where it was put: the index no longer matches."""
    index.oversized.discard(table_key)
    for irregular in index.irregular.values():
        irregular.discard(table_key)
    for placement in index.placements.pop(table_key, []):
        partition = index.partitions[placement.index_name].get(placement.partition)
        if partition is None:
            return False
        position = bisect_left(partition.keys, placement.sort_key)
        if position == len(partition.keys) or partition.keys[position] != placement.sort_key:
            return False
        del partition.keys[position]
        del partition.items[position]
        if not partition.keys:
            del index.partitions[placement.index_name][placement.partition]
    return True


def _stored_item(table: Table, table_key: TableKey) -> Item | None:
    hash_value, range_value = table_key
    stored = table.items.get(hash_value)
    if table.range_key_attr is None:
        return stored if isinstance(stored, Item) else None
    if not isinstance(stored, dict) or range_value is None:
        return None
    item = stored.get(range_value)
    return item if isinstance(item, Item) else None
