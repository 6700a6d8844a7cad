"""Lambda event filtering (an event source mapping's FilterCriteria): a record reaches the
function when any pattern matches it; the others are dropped as handled (an SQS message
deleted, a stream or Kafka position moved past), as Lambda does.

A pattern matches the record as the event carries it, its data (an SQS `body`, a Kafka
`value`) read as JSON when it is JSON. Supported here: lists of exact values, and the
`prefix`, `suffix`, `anything-but` and `exists` operators.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

OPERATORS = frozenset({"prefix", "suffix", "anything-but", "exists"})
_ABSENT = object()


class UnsupportedFilter(ValueError):
    """The pattern uses a part of the filter syntax the local cloud does not evaluate."""


def parse_patterns(filter_criteria: Any) -> tuple[dict[str, Any], ...]:
    """The patterns of a FilterCriteria property, each checked to be evaluable here."""
    if not filter_criteria:
        return ()
    if not isinstance(filter_criteria, Mapping) or not isinstance(
        filter_criteria.get("Filters"), list
    ):
        raise UnsupportedFilter("FilterCriteria needs a Filters list")
    patterns = []
    for entry in filter_criteria["Filters"]:
        text = entry.get("Pattern") if isinstance(entry, Mapping) else None
        try:
            pattern = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            pattern = None
        if not isinstance(pattern, dict):
            raise UnsupportedFilter(f"Pattern {text!r} is not a JSON object")
        _check_pattern(pattern)
        patterns.append(pattern)
    return tuple(patterns)


def _check_pattern(pattern: Mapping[str, Any]) -> None:
    for key, rule in pattern.items():
        if isinstance(rule, Mapping):
            _check_pattern(rule)
        elif isinstance(rule, list):
            for condition in rule:
                if isinstance(condition, Mapping) and not set(condition) <= OPERATORS:
                    raise UnsupportedFilter(
                        f"{key}: operator {sorted(set(condition) - OPERATORS)} is not "
                        f"evaluated locally (supported: {', '.join(sorted(OPERATORS))})"
                    )
        else:
            raise UnsupportedFilter(f"{key}: a rule is an object or a list of conditions")


def with_data(record: Mapping[str, Any], key: str, data: bytes | str | None) -> dict[str, Any]:
    """The document patterns are matched against: the event record, its `key` holding the
    record's data read as JSON when it is JSON (and as text when it is not)."""
    document = dict(record)
    if data is None:
        document.pop(key, None)
        return document
    try:
        document[key] = json.loads(data)
    except ValueError:
        document[key] = data.decode(errors="replace") if isinstance(data, bytes) else data
    return document


def filterable(record: Mapping[str, Any], value: bytes | None) -> dict[str, Any]:
    """A Kafka record as patterns see it: its metadata and its value."""
    document = {
        key: record[key]
        for key in ("topic", "partition", "offset", "timestamp", "timestampType")
        if key in record
    }
    if value is not None:
        try:
            document["value"] = json.loads(value)
        except ValueError:
            document["value"] = value.decode(errors="replace")
    return document


def matches_any(patterns: Sequence[Mapping[str, Any]], document: Mapping[str, Any]) -> bool:
    return not patterns or any(_matches(pattern, document) for pattern in patterns)


def _matches(pattern: Mapping[str, Any], document: Any) -> bool:
    for key, rule in pattern.items():
        value = document.get(key, _ABSENT) if isinstance(document, Mapping) else _ABSENT
        if isinstance(rule, Mapping):
            if not _matches(rule, value):
                return False
        elif not any(_satisfies(condition, value) for condition in rule):
            return False
    return True


def _satisfies(condition: Any, value: Any) -> bool:
    if not isinstance(condition, Mapping):
        candidates = value if isinstance(value, list) else [value]
        return any(candidate == condition for candidate in candidates)
    operator, operand = next(iter(condition.items()))
    if operator == "exists":
        return (value is not _ABSENT) == bool(operand)
    if value is _ABSENT:
        return False
    if operator == "anything-but":
        excluded = operand if isinstance(operand, list) else [operand]
        return value not in excluded
    if not isinstance(value, str):
        return False
    return value.startswith(operand) if operator == "prefix" else value.endswith(operand)
