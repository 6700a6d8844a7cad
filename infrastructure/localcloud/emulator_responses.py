"""moto's responses for the emulator: the same bodies, without redoing per request the
work whose answer never changes.

moto 5.2 serializes the answers of SQS (and the other services it has moved to its
model-driven serializer) by walking the botocore shape of the operation. For that it
(1) builds a new botocore `ServiceModel` from the service's JSON for every response, so
every shape is resolved again, and (2) for every value it writes, tries each of its
alias providers in turn to find which attribute of the Python object holds it. Under
a saga's load that was about a third of the emulator's CPU, most of it for
ReceiveMessage.

Here the service model is built once per service, and which attribute names to try
for a (shape, key, kind of object) is worked out once. moto's own code still picks and
writes every value, so the answers are moto's.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import moto.core.responses
from botocore.model import ServiceModel, Shape
from moto.core.serialize import AttributePicker, AttributePickerContext, XFormedAttributePicker

MOTO_GET_SERVICE_MODEL = moto.core.responses.get_service_model
MOTO_PICKERS = (AttributePicker, XFormedAttributePicker)
MOTO_GET_POSSIBLE_KEYS = {picker: picker.get_possible_keys for picker in MOTO_PICKERS}

PossibleKeys = Callable[[AttributePicker, AttributePickerContext], Iterator[str]]


@functools.cache
def get_service_model(service_name: str) -> ServiceModel:
    """One model per service, kept: its shapes live as long as the server."""
    return MOTO_GET_SERVICE_MODEL(service_name)


def remembering(moto_get_possible_keys: PossibleKeys) -> PossibleKeys:
    """moto's candidate attribute names, in moto's order, worked out once per shape,
    key, picker and class of object: all that moto's alias providers read (the shape
    with its parent, the key, the object's class name and `Meta`)."""
    remembered: dict[tuple[Any, ...], tuple[Shape, tuple[str, ...]]] = {}
    lock = threading.Lock()

    def get_possible_keys(self: AttributePicker, context: AttributePickerContext) -> Iterator[str]:
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
        return iter(found[1])

    return get_possible_keys


def install() -> None:
    moto.core.responses.get_service_model = get_service_model  # type: ignore[attr-defined]
    for picker in MOTO_PICKERS:
        picker.get_possible_keys = remembering(MOTO_GET_POSSIBLE_KEYS[picker])  # type: ignore[method-assign]
