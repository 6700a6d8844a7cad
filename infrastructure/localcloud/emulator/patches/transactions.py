"""DynamoDB TransactWriteItems for the emulator: check every condition, then write.

moto 5.2 deep-copies every table a transaction touches before writing, and puts
the copy back when a condition fails. The copy includes the table's stream, so
each transaction costs time in proportion to everything the table and its stream
ever held (a sustained saga run slows until consumers time out), and a stream
reader keeps reading the discarded copy after a rollback. DynamoDB itself
checks all conditions first and then applies the writes atomically; with the
emulator applying DynamoDB requests one at a time, doing the same is exact.

moto also ignores ClientRequestToken, which botocore fills in and keeps across its
retries: a transaction that succeeded but whose answer timed out was applied again on
the retry, and failed its own conditions (an order created while its client got a 500).
As DynamoDB does, a token that succeeded in the last ten minutes answers success again
without writing, and the same token with other items is refused.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from typing import Any, cast

from moto.core.responses import ActionResult
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ERROR_TYPE_PREFIX,
    ConditionalCheckFailed,
    DynamodbException,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler

OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}
CLIENT_TOKEN_LIFETIME_S = 600.0
MOTO_TRANSACT_WRITE_RESPONSE = DynamoHandler.transact_write_items
Cancellation = tuple[str, str, Any] | tuple[None, None, None]
CheckedWrite = tuple[int, str, dict[str, Any], dict[str, Any]]


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    reasons, writes = _check_conditions(self, transact_items)
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    _write_all_or_nothing(self, writes, len(transact_items))


def _check_conditions(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> tuple[list[Cancellation], list[CheckedWrite]]:
    reasons: list[Cancellation] = []
    writes: list[CheckedWrite] = []
    targets: set[tuple[str, str]] = set()
    for position, item in enumerate(transact_items):
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        old_item = None
        try:
            if op_type not in OPERATIONS:
                raise ValueError("Unsupported transaction operation")
            key = _key_of(backend, op_type, op)
            target = (str(op["TableName"]), str(dict(sorted(key.items()))))
            if target in targets:
                raise MultipleTransactionsException()
            targets.add(target)
            current = backend.get_item(op["TableName"], key)
            condition = op.get("ConditionExpression")
            if condition is not None and not get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            ).expr(current):
                if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                    old_item = current.to_json()["Attributes"]
                raise ConditionalCheckFailed(item=old_item)
            if op_type != "ConditionCheck":
                writes.append((position, op_type, op, key))
            reasons.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            raise
        except ConditionalCheckFailed as failed:
            reasons.append(("ConditionalCheckFailed", str(failed.message), old_item))
        except Exception as error:
            reasons.append((type(error).__name__, str(error), old_item))
    return reasons, writes


def _key_of(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def _write_all_or_nothing(backend: DynamoDBBackend, writes: list[CheckedWrite], size: int) -> None:
    """Every condition held: apply the writes. One that still fails (an update
    expression that does not fit the item) undoes the ones before it."""
    done: list[tuple[str, dict[str, Any], Any]] = []
    for position, op_type, op, key in writes:
        table_name = op["TableName"]
        before = copy.deepcopy(backend.get_item(table_name, key))
        try:
            _write(backend, op_type, op, key)
        except Exception as error:
            for undo_table, undo_key, previous in reversed(done):
                _restore(backend, undo_table, undo_key, previous)
            reasons: list[Cancellation] = [(None, None, None)] * size
            reasons[position] = (type(error).__name__, str(error), None)
            raise TransactionCanceledException(reasons) from error
        done.append((table_name, key, before))


def _write(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    table_name = op["TableName"]
    if op_type == "Put":
        backend.put_item(table_name, op["Item"])
    elif op_type == "Delete":
        backend.delete_item(table_name, key)
    else:
        backend.update_item(
            table_name,
            key,
            update_expression=op["UpdateExpression"],
            # moto accepts None for absent names and values, as its own transactions pass
            expression_attribute_names=cast(dict[str, Any], op.get("ExpressionAttributeNames")),
            expression_attribute_values=cast(dict[str, Any], op.get("ExpressionAttributeValues")),
        )


def _restore(backend: DynamoDBBackend, table_name: str, key: dict[str, Any], previous: Any) -> None:
    if previous is None:
        backend.delete_item(table_name, key)
    else:
        backend.put_item(table_name, previous.to_json()["Attributes"])


class IdempotentParameterMismatch(DynamodbException):
    def __init__(self) -> None:
        super().__init__(
            ERROR_TYPE_PREFIX + "IdempotentParameterMismatchException",
            message="The ClientRequestToken was used before with other transaction items.",
        )


_succeeded_tokens: dict[str, tuple[str, float]] = {}
"""ClientRequestToken -> (fingerprint of the items, when the transaction succeeded)."""


def transact_write_items_response(self: DynamoHandler) -> Any:
    token = self.body.get("ClientRequestToken")
    if not token:
        return MOTO_TRANSACT_WRITE_RESPONSE(self)
    now = time.monotonic()
    _forget_tokens_older_than(now - CLIENT_TOKEN_LIFETIME_S)
    fingerprint = hashlib.sha256(
        json.dumps(self.body["TransactItems"], sort_keys=True).encode()
    ).hexdigest()
    earlier = _succeeded_tokens.get(token)
    if earlier is not None:
        if earlier[0] != fingerprint:
            raise IdempotentParameterMismatch()
        return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
    answer = MOTO_TRANSACT_WRITE_RESPONSE(self)
    _succeeded_tokens[token] = (fingerprint, now)
    return answer


def _forget_tokens_older_than(moment: float) -> None:
    """Tokens are kept in the order they succeeded: the expired ones come first."""
    while _succeeded_tokens:
        oldest = next(iter(_succeeded_tokens))
        if _succeeded_tokens[oldest][1] >= moment:
            return
        del _succeeded_tokens[oldest]


def install() -> None:
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    DynamoHandler.transact_write_items = transact_write_items_response  # type: ignore[method-assign]
