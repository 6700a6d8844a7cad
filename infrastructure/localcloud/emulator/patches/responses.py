"""moto's responses for the emulator: the same bodies, without redoing per request the
work whose answer never changes.

moto 5.2 serializes the answers of SQS (and the other services it has moved to its
model-driven serializer) by walking the botocore shape of the operation, and for every
value it writes it asks each of its alias providers in turn which attribute of the
Python object holds it. Under a saga's load that serializer was about a third of the
emulator's CPU, most of it for ReceiveMessage.

Here which attribute names to try for a (shape, key, class of object) is worked out
once. moto keeps one service model per service, so its shapes live as long as the
server. moto's own code still picks and writes every value: the answers are moto's.

Two things every request did are done once: the list of a response class's methods
(moto looked it up with `inspect.getmembers` on each call, 12% of a GetItem's CPU) is
kept per class, and the request id is drawn in one call of moto's random generator
rather than one per character (52).

ReceiveMessage, DynamoDB Streams' GetRecords and DynamoDB's item operations (GetItem,
PutItem, UpdateItem, DeleteItem, Query, Scan, their batch and transaction forms) go
further: moto builds their answers as plain dicts already shaped as the JSON protocol's
answer, so the body is that dict as JSON (a record's creation time as the serializer
writes timestamps), with the headers moto's serializer gives. Answers holding binary
values or a null, and the query protocol, are left to moto's serializer.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import string
import threading
from collections.abc import Callable, Generator
from typing import Any

import moto.core.responses
import moto.utilities.aws_headers
from botocore.model import Shape
from moto.core.common_types import TYPE_RESPONSE
from moto.core.responses import ActionResult
from moto.core.serialize import (
    AttributePicker,
    AttributePickerContext,
    TimestampSerializer,
    XFormedAttributePicker,
)
from moto.core.utils import method_names_from_class
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_api._internal import mock_random
from moto.sqs.responses import SQSResponse

from localcloud.emulator.patches import queue_attributes as emulator_queue_attributes

MOTO_RECEIVE_MESSAGE = SQSResponse.receive_message
MOTO_GET_RECORDS = DynamoDBStreamsHandler.get_records
MOTO_PICKERS = (AttributePicker, XFormedAttributePicker)
MOTO_GET_POSSIBLE_KEYS = {picker: picker.get_possible_keys for picker in MOTO_PICKERS}

DYNAMODB_ITEM_ACTIONS = (
    "get_item",
    "put_item",
    "update_item",
    "delete_item",
    "query",
    "scan",
    "batch_get_item",
    "batch_write_item",
    "transact_get_items",
    "transact_write_items",
)
NULL = re.compile(r"[:\[,]\s*null\b")
"""A JSON null, or text that looks like one: moto's serializer leaves such members out."""
REQUEST_ID_CHARACTERS = string.ascii_letters + string.digits
REQUEST_ID_LENGTH = 52

PossibleKeys = Callable[[AttributePicker, AttributePickerContext], Generator[str]]


def remembering(moto_get_possible_keys: PossibleKeys) -> PossibleKeys:
    """moto's candidate attribute names, in moto's order, worked out once per shape,
    key, picker and class of object: all that moto's alias providers read (the shape
    with its parent, the key, the object's class name and `Meta`)."""
    remembered: dict[tuple[Any, ...], tuple[Shape, tuple[str, ...]]] = {}
    lock = threading.Lock()

    def get_possible_keys(self: AttributePicker, context: AttributePickerContext) -> Generator[str]:
        key = (
            type(self),
            tuple(self.alias_providers),
            id(context.shape),
            context.key,
            type(context.obj),
        )
        found = remembered.get(key)
        if found is None or found[0] is not context.shape:
            # The shape is kept with its answer, so no other shape can take its id.
            found = (context.shape, tuple(moto_get_possible_keys(self, context)))
            with lock:
                remembered[key] = found
        yield from found[1]

    return get_possible_keys


def receive_message(self: SQSResponse) -> ActionResult | TYPE_RESPONSE:
    answer = MOTO_RECEIVE_MESSAGE(self)
    messages = answer.result.get("Messages") if isinstance(answer.result, dict) else None
    if messages:
        emulator_queue_attributes.add_dead_letter_sources(self, messages)
    if not messages or not all(_all_text(message) for message in messages):
        return answer
    return _as_json(self, answer, json.dumps({"Messages": messages}))


def get_records(self: DynamoDBStreamsHandler) -> ActionResult | TYPE_RESPONSE:
    answer = MOTO_GET_RECORDS(self)
    if not isinstance(answer.result, dict) or not answer.result.get("Records"):
        return answer
    body = _plain_json(answer.result, default=_timestamp)
    return answer if body is None else _as_json(self, answer, body)


ItemAction = Callable[[DynamoHandler], ActionResult | TYPE_RESPONSE]


def written_as_json(moto_action: ItemAction) -> ItemAction:
    """One of DynamoDB's item operations, its answer written as JSON straight from moto's
    dict when it holds only text, numbers, flags, lists and maps."""

    @functools.wraps(moto_action)
    def action(self: DynamoHandler) -> ActionResult | TYPE_RESPONSE:
        answer = moto_action(self)
        if not isinstance(answer, ActionResult) or not isinstance(answer.result, dict):
            return answer
        body = _plain_json(answer.result)
        if body is None or NULL.search(body):
            return answer
        return _as_json(self, answer, body)

    return action


def _plain_json(result: dict[str, Any], default: Callable[[Any], Any] | None = None) -> str | None:
    """`result` as JSON; None where moto's serializer writes it otherwise: bytes, a
    Decimal or a time `default` does not write, and binary attribute values as text."""
    try:
        body = json.dumps(result, default=default)
    except TypeError:
        return None
    if '"B":' in body or '"BS":' in body:
        return None
    return body


def _as_json(
    response: SQSResponse | DynamoDBStreamsHandler | DynamoHandler, answer: ActionResult, body: str
) -> ActionResult | TYPE_RESPONSE:
    """`body` as the answer, with the headers moto's serializer writes for this
    operation; moto's own answer if the protocol is not JSON."""
    status, headers, empty = response.serialized(ActionResult({}))
    if empty != "{}":
        return answer
    return status, headers, body


def _timestamp(value: Any) -> int | float:
    if isinstance(value, datetime.datetime):
        return TimestampSerializer._timestamp_unixtimestamp(value)
    raise TypeError(f"{type(value).__name__} is not written as JSON here")


def _all_text(message: dict[str, Any]) -> bool:
    attributes = message.get("MessageAttributes", {}).values()
    return (
        all(isinstance(value, str) for key, value in message.items() if key not in _MAPS)
        and all(isinstance(value, str) for value in message.get("Attributes", {}).values())
        and all(
            set(attribute) <= {"DataType", "StringValue"}
            and all(isinstance(value, str) for value in attribute.values())
            for attribute in attributes
        )
    )


_MAPS = frozenset({"Attributes", "MessageAttributes"})


@functools.cache
def method_names(response_class: type) -> list[str]:
    """moto's `method_names_from_class`, once per class: the actions a response class
    answers do not change while the server runs (the patches are installed before)."""
    return method_names_from_class(response_class)


def request_id(headerdict: dict[str, Any] | None = None) -> str:
    """moto's `gen_amzn_requestid_long`: 52 letters and digits from moto's generator
    (seeded by `/moto-api/seed` as moto's are), drawn at once."""
    drawn = "".join(mock_random.choices(REQUEST_ID_CHARACTERS, k=REQUEST_ID_LENGTH))
    if isinstance(headerdict, dict):
        headerdict["x-amzn-requestid"] = drawn
    return drawn


def install() -> None:
    moto.core.responses.method_names_from_class = method_names
    moto.utilities.aws_headers.gen_amzn_requestid_long = request_id
    moto.core.responses.gen_amzn_requestid_long = request_id
    SQSResponse.receive_message = receive_message  # type: ignore[method-assign,assignment]
    DynamoDBStreamsHandler.get_records = get_records  # type: ignore[method-assign,assignment]
    for name in DYNAMODB_ITEM_ACTIONS:
        setattr(DynamoHandler, name, written_as_json(getattr(DynamoHandler, name)))
    for picker in MOTO_PICKERS:
        picker.get_possible_keys = remembering(MOTO_GET_POSSIBLE_KEYS[picker])  # type: ignore[method-assign,assignment]
