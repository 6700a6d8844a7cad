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
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import Any

from botocore.model import Shape
from moto.core.serialize import AttributePicker, AttributePickerContext, XFormedAttributePicker

MOTO_PICKERS = (AttributePicker, XFormedAttributePicker)
MOTO_GET_POSSIBLE_KEYS = {picker: picker.get_possible_keys for picker in MOTO_PICKERS}

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


def install() -> None:
    for picker in MOTO_PICKERS:
        picker.get_possible_keys = remembering(MOTO_GET_POSSIBLE_KEYS[picker])  # type: ignore[method-assign,assignment]
