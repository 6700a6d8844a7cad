"""CloudFormation resources as YAML in the template's own style: block mappings, short
tags for intrinsics (`!Ref`, `!GetAtt`, `!Sub`), flow style for short lists of scalars and
for the small mappings in a list, a literal block for multi-line `!Sub` text."""

from __future__ import annotations

import json
import re
from typing import Any

from operations.resources import GetAtt, Ref, Sub

INDENT = "  "
FLOW_LIMIT = 100
_PLAIN = re.compile(r"^[A-Za-z$/][\w${}:./*-]*$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})


def resources_yaml(resources: dict[str, dict[str, Any]], depth: int = 1) -> list[str]:
    """Lines of the resources, each one a mapping entry at `depth` (1: under Resources)."""
    lines: list[str] = []
    for logical_id, resource in resources.items():
        if lines:
            lines.append("")
        lines.append(f"{INDENT * depth}{logical_id}:")
        lines += _mapping_lines(resource, depth + 1)
    return lines


def _mapping_lines(mapping: dict[str, Any], depth: int) -> list[str]:
    lines = []
    prefix = INDENT * depth
    for key, value in mapping.items():
        flow = None if isinstance(value, dict) or _holds_mappings(value) else _flow(value)
        fits = len(prefix) + len(key) + 2 + len(str(flow)) <= FLOW_LIMIT
        if flow is not None and (fits or not isinstance(value, list)):
            lines.append(f"{prefix}{key}: {flow}")
        elif isinstance(value, Sub) and "\n" in value.text:
            lines.append(f"{prefix}{key}: !Sub |")
            lines += [f"{prefix}{INDENT}{line}" if line else "" for line in value.text.split("\n")]
        elif isinstance(value, dict):
            lines.append(f"{prefix}{key}:")
            lines += _mapping_lines(value, depth + 1)
        elif isinstance(value, list):
            lines.append(f"{prefix}{key}:")
            lines += _sequence_lines(value, depth + 1)
        else:
            raise ValueError(f"{key}: {value!r} cannot be written")
    return lines


def _sequence_lines(items: list[Any], depth: int) -> list[str]:
    lines = []
    prefix = INDENT * depth
    for item in items:
        flow = _flow(item)
        if flow is not None and len(prefix) + 2 + len(flow) <= FLOW_LIMIT:
            lines.append(f"{prefix}- {flow}")
        elif isinstance(item, dict):
            entries = _mapping_lines(item, depth + 1)
            lines.append(f"{prefix}- {entries[0].lstrip()}")
            lines += entries[1:]
        else:
            raise ValueError(f"{item!r} does not fit in a sequence")
    return lines


def _flow(value: Any, nested: bool = False) -> str | None:
    """The value on one line, or None if it has to be a block; `nested` inside a flow
    sequence or mapping, where a plain scalar may not hold a colon."""
    if isinstance(value, Ref):
        return f"!Ref {value.name}"
    if isinstance(value, GetAtt):
        return f"!GetAtt {value.resource}.{value.attribute}"
    if isinstance(value, Sub):
        return None if "\n" in value.text else f"!Sub {_scalar(value.text, nested)}"
    if isinstance(value, list):
        items = [_flow(item, nested=True) for item in value]
        return None if None in items else f"[{', '.join(str(item) for item in items)}]"
    if isinstance(value, dict):
        entries = {key: _flow(item, nested=True) for key, item in value.items()}
        if None in entries.values() or any(isinstance(v, dict | list) for v in value.values()):
            return None
        return "{" + ", ".join(f"{key}: {item}" for key, item in entries.items()) + "}"
    return _scalar(value, nested)


def _holds_mappings(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(item, dict) for item in value)


def _scalar(value: Any, nested: bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    plain = _PLAIN.match(text) and text.lower() not in _YAML_WORDS
    if plain and not (nested and ":" in text):
        return text
    return json.dumps(text, ensure_ascii=False)
