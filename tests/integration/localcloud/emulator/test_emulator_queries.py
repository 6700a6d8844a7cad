"""The emulator's indexed Query: moto's own answers, without walking the table.

Most tests run moto in process, answer each Query twice (the indexed Query, then
moto's) and compare every page; the last one goes through the emulator server.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

from localcloud.emulator.patches import queries as emulator_queries
from localcloud.emulator.process import LOCAL_CREDENTIALS, Emulator

pytestmark = pytest.mark.integration

PARTITIONS = ("a", "b")
"""Partition keys of a table with a sort key; a table without one needs many."""
KEYS = ("pk", "sk")
GROUPS = ("x", "y")
NUMBERS = ("-2", "-0.5", "0", "1", "1.0", "1.5", "2", "10")
"""Small domains, so that sort keys tie; 1 and 1.0 are the same number."""
CONDITIONS = ("=", "<", "<=", ">", ">=", "BETWEEN", "BEGINS_WITH")
MAX_PAGES = 60

Answer = list[dict[str, Any]] | tuple[str, str]


@dataclass(frozen=True)
class Shape:
    sort_key_type: str | None
    """The table's sort key type, or None for a table with a partition key only."""
    index_sort_type: str
    """The type of `r`, the sort key of the `byGroup` index."""

    @property
    def targets(self) -> dict[str | None, tuple[str, str | None, str | None]]:
        """Index name: (partition key, sort key, sort key type)."""
        targets: dict[str | None, tuple[str, str | None, str | None]] = {
            None: ("pk", "sk" if self.sort_key_type else None, self.sort_key_type),
            "byGroup": ("g", "r", self.index_sort_type),
            "byGroupOnly": ("g", None, None),
        }
        if self.sort_key_type:
            targets["byLocal"] = ("pk", "l", "S")
        return targets


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        for owner, name, replacement in emulator_queries.PATCHES:
            patch.setattr(owner, name, replacement)
        yield boto3.client("dynamodb", region_name="us-east-1")


def create_table(dynamodb: Any, shape: Shape) -> str:
    name = f"queries-{uuid.uuid4().hex[:8]}"
    types = {"pk": "S", "g": "S", "r": shape.index_sort_type}
    key_schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    local_indexes = []
    if shape.sort_key_type:
        types |= {"sk": shape.sort_key_type, "l": "S"}
        key_schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        local_indexes.append(
            {
                "IndexName": "byLocal",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "l", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]},
            }
        )
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": attribute, "AttributeType": kind} for attribute, kind in types.items()
        ],
        KeySchema=key_schema,
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byGroup",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "r", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "byGroupOnly",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        **({"LocalSecondaryIndexes": local_indexes} if local_indexes else {}),
    )
    return name


def key_values(kind: str | None) -> st.SearchStrategy[dict[str, str]]:
    if kind == "N":
        return st.sampled_from(NUMBERS).map(lambda number: {"N": number})
    return st.text(alphabet="abc", min_size=1, max_size=3).map(lambda text: {"S": text})


def partition_keys(shape: Shape) -> st.SearchStrategy[str]:
    if shape.sort_key_type:
        return st.sampled_from(PARTITIONS)
    return st.text(alphabet="ab", min_size=1, max_size=3)


def table_key(item: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(value) for name, value in item.items() if name in KEYS)


@st.composite
def items(draw: st.DrawFn, shape: Shape) -> dict[str, Any]:
    """An item that may lack any index key (a sparse index) and often ties on one."""
    item: dict[str, Any] = {
        "pk": {"S": draw(partition_keys(shape))},
        "v": {"N": str(draw(st.integers(0, 9)))},
        "padding": {"S": "p" * draw(st.integers(0, 40))},
    }
    if shape.sort_key_type:
        item["sk"] = draw(key_values(shape.sort_key_type))
        if draw(st.booleans()):
            item["l"] = draw(key_values("S"))
    if draw(st.integers(0, 3)):
        item["g"] = {"S": draw(st.sampled_from(GROUPS))}
    if draw(st.integers(0, 3)):
        item["r"] = draw(key_values(shape.index_sort_type))
    return item


@st.composite
def writes(
    draw: st.DrawFn, shape: Shape, stored: list[dict[str, Any]]
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """A put, a delete, or an update that moves an item within, into or out of an index;
    mostly of an item already stored."""
    item = draw(items(shape))
    of_a_stored_item = draw(st.integers(0, 3)) > 0
    if stored and of_a_stored_item:
        item |= {
            name: value for name, value in draw(st.sampled_from(stored)).items() if name in KEYS
        }
    key = {name: value for name, value in item.items() if name in KEYS}
    kind = draw(st.sampled_from(["put", "delete", "set", "remove", "add"]))
    if kind == "set":
        group, sort_key = draw(st.sampled_from(GROUPS)), draw(key_values(shape.index_sort_type))
        new_keys = expression_values(g={"S": group}, r=sort_key)
        return kind, key, {"UpdateExpression": "SET g = :g, r = :r", **new_keys}
    if kind == "remove":
        return kind, key, {"UpdateExpression": "REMOVE r"}
    if kind == "add":
        return kind, key, {"UpdateExpression": "ADD v :one", **expression_values(one={"N": "1"})}
    return kind, item if kind == "put" else key, {}


def expression_values(**values: dict[str, str]) -> dict[str, Any]:
    return {"ExpressionAttributeValues": {f":{name}": value for name, value in values.items()}}


def stored_or(
    stored: list[dict[str, Any]], name: str, others: st.SearchStrategy[dict[str, str]]
) -> st.SearchStrategy[dict[str, str]]:
    """A value of `name` that an item holds, or any other."""
    held = [item[name] for item in stored if name in item]
    return st.sampled_from(held) | others if held else others


@st.composite
def queries(draw: st.DrawFn, shape: Shape, stored: list[dict[str, Any]]) -> dict[str, Any]:
    """A Query of any index, whose key values are often ones stored, so that
    conditions meet their bounds exactly."""
    index_name = draw(st.sampled_from(sorted(shape.targets, key=str)))
    hash_name, sort_name, sort_type = shape.targets[index_name]
    names = {"#h": hash_name}
    hash_values = st.sampled_from(GROUPS) if hash_name == "g" else partition_keys(shape)
    values = {":h": draw(stored_or(stored, hash_name, hash_values.map(lambda v: {"S": v})))}
    condition = "#h = :h"
    comparison = draw(st.sampled_from((None, *CONDITIONS))) if sort_name else None
    if comparison == "BEGINS_WITH" and sort_type != "S":
        comparison = None
    if sort_name and comparison:
        names["#s"] = sort_name
        sort_values = stored_or(stored, sort_name, key_values(sort_type))
        values[":a"] = draw(sort_values)
        if comparison == "BETWEEN":
            values[":b"] = draw(sort_values)
        condition += f" AND {sort_key_condition(comparison)}"
    request: dict[str, Any] = {
        "KeyConditionExpression": condition,
        "ScanIndexForward": draw(st.booleans()),
    }
    if index_name:
        request["IndexName"] = index_name
    limit = draw(st.sampled_from([None, 1, 2, 3]))
    if limit:
        request["Limit"] = limit
    if draw(st.booleans()):
        names["#v"] = "v"
        values[":f"] = {"N": str(draw(st.integers(0, 9)))}
        request["FilterExpression"] = "#v >= :f"
    output = draw(st.sampled_from(["items", "count", "projection"]))
    if output == "count":
        request["Select"] = "COUNT"
    elif output == "projection":
        names |= {"#p": "pk", "#d": "padding"}
        request["ProjectionExpression"] = "#p, #d"
    return request | {"ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


def sort_key_condition(comparison: str) -> str:
    """The condition on the sort key `#s`, with its values `:a` (and `:b`)."""
    if comparison == "BETWEEN":
        return "#s BETWEEN :a AND :b"
    if comparison == "BEGINS_WITH":
        return "begins_with(#s, :a)"
    return f"#s {comparison} :a"


def all_pages(dynamodb: Any, request: dict[str, Any]) -> Answer:
    pages: list[dict[str, Any]] = []
    start_key = None
    try:
        while len(pages) < MAX_PAGES:
            page = dynamodb.query(
                **request, **({"ExclusiveStartKey": start_key} if start_key else {})
            )
            page.pop("ResponseMetadata")
            pages.append(page)
            start_key = page.get("LastEvaluatedKey")
            if start_key is None:
                break
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["Error"]["Message"]
    return pages


def indexed_and_moto_answers(dynamodb: Any, request: dict[str, Any]) -> tuple[Answer, Answer, int]:
    """Every page of the request by the indexed Query, then by moto's; and how many
    times the indexed Query left a page to moto."""
    moto_query = emulator_queries.MOTO_QUERY
    fallbacks: list[int] = []

    def counted_moto_query(*args: Any, **kwargs: Any) -> Any:
        fallbacks.append(1)
        return moto_query(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(emulator_queries, "MOTO_QUERY", counted_moto_query)
        indexed = all_pages(dynamodb, request)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Table, "query", moto_query)
        moto = all_pages(dynamodb, request)
    return indexed, moto, len(fallbacks)


def apply_write(
    dynamodb: Any, table: str, write: tuple[str, dict[str, Any], dict[str, Any]]
) -> None:
    kind, item_or_key, update = write
    if kind == "put":
        dynamodb.put_item(TableName=table, Item=item_or_key)
    elif kind == "delete":
        dynamodb.delete_item(TableName=table, Key=item_or_key)
    else:
        dynamodb.update_item(TableName=table, Key=item_or_key, **update)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Shape, list[Any], list[Any], list[dict[str, Any]]]:
    shape = Shape(
        sort_key_type=draw(st.sampled_from([None, "S", "N"])),
        index_sort_type=draw(st.sampled_from(["S", "N"])),
    )
    stored = draw(st.lists(items(shape), min_size=6, max_size=24, unique_by=table_key))
    return (
        shape,
        stored,
        draw(st.lists(writes(shape, stored), max_size=8)),
        draw(st.lists(queries(shape, stored), min_size=1, max_size=3)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios())
def test_every_page_matches_moto_before_and_after_writes(
    dynamodb: Any, scenario: tuple[Shape, list[Any], list[Any], list[dict[str, Any]]]
) -> None:
    shape, initial_items, later_writes, requests = scenario
    table = create_table(dynamodb, shape)
    try:
        for item in initial_items:
            dynamodb.put_item(TableName=table, Item=item)
        for round_of_writes in ([], later_writes):
            for write in round_of_writes:
                apply_write(dynamodb, table, write)
            for request in requests:
                indexed, moto, fallbacks = indexed_and_moto_answers(
                    dynamodb, {"TableName": table, **request}
                )
                assert indexed == moto
                assert fallbacks == 0
    finally:
        dynamodb.delete_table(TableName=table)


BOUNDARY_ITEMS: list[dict[str, dict[str, str]]] = [
    {"pk": {"S": "a"}, "sk": {"S": sk}, "g": {"S": "x"}, "r": {"N": r}, "l": {"S": sk[:2]}}
    for sk, r in [("a", "1"), ("ab", "1.0"), ("abc", "2"), ("abd", "2"), ("b", "10"), ("ba", "-1")]
] + [{"pk": {"S": "a"}, "sk": {"S": "c"}, "g": {"S": "x"}}, {"pk": {"S": "b"}, "sk": {"S": "a"}}]
"""Sort keys that tie, share prefixes, and one item outside the indexes on r and l."""


def bound_values(sort_name: str, comparison: str) -> list[list[dict[str, str]]]:
    """Every stored value as the bound; for BETWEEN, neighbours, one value twice and
    a reversed pair."""
    held = [item[sort_name] for item in BOUNDARY_ITEMS if sort_name in item]
    unique = [value for position, value in enumerate(held) if value not in held[:position]]
    if comparison != "BETWEEN":
        return [[value] for value in unique]
    pairs = [[low, high] for low, high in itertools.pairwise(unique)]
    return [*pairs, [unique[0], unique[0]], [unique[-1], unique[0]]]


@pytest.mark.parametrize("comparison", CONDITIONS)
def test_each_key_condition_meets_its_bounds_as_moto_does(dynamodb: Any, comparison: str) -> None:
    shape = Shape(sort_key_type="S", index_sort_type="N")
    table = create_table(dynamodb, shape)
    try:
        for item in BOUNDARY_ITEMS:
            dynamodb.put_item(TableName=table, Item=item)
        for index_name, (hash_name, sort_name, _) in shape.targets.items():
            if sort_name is None or (comparison == "BEGINS_WITH" and sort_name == "r"):
                continue
            for bounds in bound_values(sort_name, comparison):
                for forward in (True, False):
                    request = {
                        "TableName": table,
                        "KeyConditionExpression": f"#h = :h AND {sort_key_condition(comparison)}",
                        "ExpressionAttributeNames": {"#h": hash_name, "#s": sort_name},
                        "ExpressionAttributeValues": {
                            ":h": {"S": "x" if hash_name == "g" else "a"},
                            **dict(zip((":a", ":b"), bounds, strict=False)),
                        },
                        "ScanIndexForward": forward,
                        "Limit": 3,
                        **({"IndexName": index_name} if index_name else {}),
                    }
                    indexed, moto, fallbacks = indexed_and_moto_answers(dynamodb, request)
                    assert (indexed, fallbacks) == (moto, 0), request
    finally:
        dynamodb.delete_table(TableName=table)


SIZE_LIMIT_CONDITIONS = {
    "#h = :h": {},
    "#h = :h AND #s <= :a": {":a": {"S": "c"}},
    "#h = :h AND #s >= :a": {":a": {"S": "c"}},
}


def test_a_page_stops_at_one_megabyte_as_moto_does(dynamodb: Any) -> None:
    """Six items of 300 KB: a page holds three, whatever the direction or the condition."""
    table = create_table(dynamodb, Shape(sort_key_type="S", index_sort_type="S"))
    try:
        for name in "abcdef":
            item = {"pk": {"S": "a"}, "sk": {"S": name}, "padding": {"S": name * 300_000}}
            dynamodb.put_item(TableName=table, Item=item)
        counts = {}
        for forward in (True, False):
            for condition, values in SIZE_LIMIT_CONDITIONS.items():
                request = {
                    "TableName": table,
                    "KeyConditionExpression": condition,
                    "ExpressionAttributeNames": {"#h": "pk", **({"#s": "sk"} if values else {})},
                    "ExpressionAttributeValues": {":h": {"S": "a"}, **values},
                    "ScanIndexForward": forward,
                    "Select": "COUNT",
                }
                indexed, moto, _ = indexed_and_moto_answers(dynamodb, request)
                assert isinstance(indexed, list)
                assert indexed == moto
                counts[forward, condition] = [page["Count"] for page in indexed]
        assert counts[True, "#h = :h"] == [3, 3]
        assert counts[False, "#h = :h AND #s >= :a"] == [3, 1]
    finally:
        dynamodb.delete_table(TableName=table)


def test_requests_outside_the_index_get_moto_answers(dynamodb: Any) -> None:
    """A binary key and the legacy QueryFilter are left to moto, and so is a consistent
    read of a global index, which moto refuses."""
    table = f"queries-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "B"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byGroup",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    try:
        for number in range(5):
            item = {"pk": {"S": "a"}, "sk": {"B": bytes([number])}, "g": {"S": "x"}}
            dynamodb.put_item(TableName=table, Item=item | {"v": {"N": str(number)}})
        by_partition: dict[str, Any] = {
            "KeyConditionExpression": "pk = :h",
            "ExpressionAttributeValues": {":h": {"S": "a"}},
        }
        legacy: dict[str, Any] = {
            "KeyConditions": {
                "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}
            },
            "QueryFilter": {"v": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "2"}]}},
        }
        by_group: dict[str, Any] = {
            "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": {":g": {"S": "x"}},
        }
        for request in [
            by_partition,
            legacy,
            by_group | {"IndexName": "byGroup"},
            by_group | {"IndexName": "byGroup", "ConsistentRead": True},
        ]:
            indexed, moto, fallbacks = indexed_and_moto_answers(
                dynamodb, {"TableName": table, **request}
            )
            assert indexed == moto
            assert fallbacks > 0
    finally:
        dynamodb.delete_table(TableName=table)


def test_a_page_costs_comparisons_in_the_log_of_the_partition_not_its_size(
    dynamodb: Any,
) -> None:
    """Key comparisons for one page of 5 from a 1,000-item index partition: moto's Query
    sorts the partition (thousands); the indexed one bisects to the page."""
    table = create_table(dynamodb, Shape(sort_key_type="S", index_sort_type="S"))
    try:
        for first in range(0, 1000, 25):
            batch = [
                {
                    "PutRequest": {
                        "Item": {
                            "pk": {"S": f"p{n}"},
                            "sk": {"S": "s"},
                            "g": {"S": "x"},
                            "r": {"S": f"r{n:04d}"},
                        }
                    }
                }
                for n in range(first, first + 25)
            ]
            dynamodb.batch_write_item(RequestItems={table: batch})
        request = {
            "TableName": table,
            "IndexName": "byGroup",
            "KeyConditionExpression": "g = :g AND begins_with(r, :r)",
            "ExpressionAttributeValues": {":g": {"S": "x"}, ":r": {"S": "r05"}},
            "ExclusiveStartKey": {
                "g": {"S": "x"},
                "r": {"S": "r0520"},
                "pk": {"S": "p520"},
                "sk": {"S": "s"},
            },
            "Limit": 5,
        }
        dynamodb.query(**request)
        indexed, moto = comparisons_made(dynamodb, request)
        assert indexed < 100 < 1000 < moto
    finally:
        dynamodb.delete_table(TableName=table)


def comparisons_made(dynamodb: Any, request: dict[str, Any]) -> tuple[int, int]:
    counts = []
    for query in (emulator_queries.query, emulator_queries.MOTO_QUERY):
        made = itertools.count()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Table, "query", query)
            for operator in ("__lt__", "__eq__", "__ne__"):
                compare = getattr(DynamoType, operator)
                patch.setattr(DynamoType, operator, counted(compare, made))
            dynamodb.query(**request)
        counts.append(next(made))
    return counts[0], counts[1]


def counted(compare: Any, made: Iterator[int]) -> Any:
    def counting(self: DynamoType, other: DynamoType) -> bool:
        next(made)
        return bool(compare(self, other))

    return counting


def test_the_emulator_server_pages_through_an_index_in_sort_key_order(
    emulator: Emulator,
) -> None:
    # Credentials given, not read from the environment: this module's in-process tests
    # run inside mock_aws(), which sets moto's fake ones there.
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    table = create_table(dynamodb, Shape(sort_key_type="S", index_sort_type="N"))
    ranks = {"p1": "3", "p2": "1", "p3": "2", "p4": "1", "p5": None}
    for partition, rank in ranks.items():
        item = {"pk": {"S": partition}, "sk": {"S": "s"}, "g": {"S": "x"}}
        dynamodb.put_item(TableName=table, Item=item | ({"r": {"N": rank}} if rank else {}))
    paginator = dynamodb.get_paginator("query")
    pages = paginator.paginate(
        TableName=table,
        IndexName="byGroup",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}},
        ScanIndexForward=False,
        PaginationConfig={"PageSize": 2},
    )
    listed = [item["pk"]["S"] for page in pages for item in page["Items"]]
    assert listed == ["p1", "p3", "p4", "p2"]
    dynamodb.delete_table(TableName=table)
