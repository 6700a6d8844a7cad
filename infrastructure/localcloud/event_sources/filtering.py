"""Lambda event filtering (an event source mapping's FilterCriteria), one implementation for
SQS, DynamoDB Streams and Kafka: a record reaches the function when any pattern matches
it; the others are dropped as handled (an SQS message deleted, a stream or Kafka position
moved past), as Lambda does.

A pattern matches the record as the event carries it, its data (an SQS `body`, a Kafka
`value`) read as JSON when it is JSON. The rule syntax is Lambda's: lists of values
(strings, numbers, booleans, null; "" for empty), `equals-ignore-case`, `prefix`,
`suffix`, `anything-but`, `numeric` (one comparison or a range), `exists`, and `$or`
across sets of fields. A pattern Lambda would refuse is refused here, naming the rule.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from operator import eq, ge, gt, le, lt
from typing import Any

OPERATORS = ("equals-ignore-case", "prefix", "suffix", "anything-but", "numeric", "exists")
NUMERIC_LIMIT = 5e9
"""Numbers in a numeric rule lie within ±5.0e9, as EventBridge's pattern syntax requires."""
MAX_PATTERN_LENGTH = 4096
"""Lambda's limit on one filter pattern's length, in characters."""
_LOWER_BOUNDS = (">", ">=")
_UPPER_BOUNDS = ("<", "<=")
_COMPARISONS = ("=", *_LOWER_BOUNDS, *_UPPER_BOUNDS)
_COMPARE = {"=": eq, ">": gt, ">=": ge, "<": lt, "<=": le}
_ABSENT = object()


class FilterPatternError(ValueError):
    """A FilterCriteria pattern Lambda would refuse."""


def parse_patterns(filter_criteria: Any) -> tuple[dict[str, Any], ...]:
    """The patterns of a FilterCriteria property, each checked as Lambda checks it."""
    if not filter_criteria:
        return ()
    if not isinstance(filter_criteria, Mapping) or not isinstance(
        filter_criteria.get("Filters"), list
    ):
        raise FilterPatternError("FilterCriteria needs a Filters list")
    return tuple(_parse_pattern(entry) for entry in filter_criteria["Filters"])


def _parse_pattern(entry: Any) -> dict[str, Any]:
    text = entry.get("Pattern") if isinstance(entry, Mapping) else None
    try:
        pattern = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        pattern = None
    if not isinstance(pattern, dict) or not pattern:
        raise FilterPatternError(f"pattern {text!r} is not a JSON object with fields")
    if len(text or "") > MAX_PATTERN_LENGTH:
        raise FilterPatternError(f"pattern {text!r} is longer than {MAX_PATTERN_LENGTH} characters")
    try:
        _check_fields(pattern)
    except FilterPatternError as error:
        raise FilterPatternError(f"pattern {text}: {error}") from None
    return pattern


def _check_fields(pattern: Mapping[str, Any]) -> None:
    for key, rule in pattern.items():
        if key == "$or":
            _check_alternatives(rule)
        elif isinstance(rule, Mapping) and rule:
            _check_fields(rule)
        elif isinstance(rule, list) and rule:
            for condition in rule:
                _check_condition(key, condition)
        else:
            raise FilterPatternError(
                f"{key}: a rule is a non-empty list of conditions or an object of fields"
            )


def _check_alternatives(alternatives: Any) -> None:
    if not isinstance(alternatives, list) or len(alternatives) < 2:
        raise FilterPatternError("$or: needs a list of at least two sets of fields")
    for alternative in alternatives:
        if not isinstance(alternative, Mapping) or not alternative:
            raise FilterPatternError("$or: each alternative is an object of fields")
        _check_fields(alternative)


def _check_condition(key: str, condition: Any) -> None:
    if condition is None or isinstance(condition, str | bool):
        return
    if isinstance(condition, int | float):
        _check_number(key, condition)
        return
    if not isinstance(condition, Mapping) or len(condition) != 1:
        raise FilterPatternError(f"{key}: {json.dumps(condition)} is not a value or an operator")
    operator, operand = next(iter(condition.items()))
    if operator not in OPERATORS:
        raise FilterPatternError(
            f"{key}: operator {operator!r} is not part of Lambda's filter rule syntax "
            f"(operators: {', '.join(OPERATORS)})"
        )
    problem = _OPERAND_CHECKS[operator](operand)
    if problem:
        raise FilterPatternError(f"{key}: {operator}: {problem}, not {json.dumps(operand)}")


def _check_number(key: str, number: float) -> None:
    if not math.isfinite(number) or abs(number) > NUMERIC_LIMIT:
        raise FilterPatternError(f"{key}: {number} is outside ±{NUMERIC_LIMIT:.1e}")


def _string_operand(operand: Any) -> str:
    return "" if isinstance(operand, str) else "takes a string"


def _exists_operand(operand: Any) -> str:
    return "" if isinstance(operand, bool) else "takes true or false"


def _anything_but_operand(operand: Any) -> str:
    values = operand if isinstance(operand, list) else [operand]
    strings = all(isinstance(value, str) for value in values)
    numbers = all(_is_number(value) for value in values)
    if not values or not (strings or numbers):
        return "takes a string, a number, or a list of strings or of numbers"
    return ""


def _numeric_operand(operand: Any) -> str:
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        return "takes a comparison and a number, or a lower and an upper bound"
    comparisons, numbers = operand[0::2], operand[1::2]
    if not all(comparison in _COMPARISONS for comparison in comparisons):
        return f"comparisons are {', '.join(_COMPARISONS)}"
    if not all(_is_number(number) and abs(number) <= NUMERIC_LIMIT for number in numbers):
        return f"takes numbers within ±{NUMERIC_LIMIT:.1e}"
    if len(operand) == 4 and not (
        comparisons[0] in _LOWER_BOUNDS
        and comparisons[1] in _UPPER_BOUNDS
        and numbers[0] < numbers[1]
    ):
        return "a range is a lower bound (> or >=) then a greater upper bound (< or <=)"
    return ""


_OPERAND_CHECKS = {
    "equals-ignore-case": _string_operand,
    "prefix": _string_operand,
    "suffix": _string_operand,
    "exists": _exists_operand,
    "anything-but": _anything_but_operand,
    "numeric": _numeric_operand,
}


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
    metadata = {
        key: record[key]
        for key in ("topic", "partition", "offset", "timestamp", "timestampType")
        if key in record
    }
    return with_data(metadata, "value", value)


def matches_any(patterns: Sequence[Mapping[str, Any]], document: Mapping[str, Any]) -> bool:
    return not patterns or any(_matches(pattern, document) for pattern in patterns)


def _matches(pattern: Mapping[str, Any], document: Any) -> bool:
    for key, rule in pattern.items():
        if key == "$or":
            if not any(_matches(alternative, document) for alternative in rule):
                return False
            continue
        value = document.get(key, _ABSENT) if isinstance(document, Mapping) else _ABSENT
        if isinstance(rule, Mapping):
            if not _matches(rule, value):
                return False
        elif not any(_satisfies(condition, value) for condition in rule):
            return False
    return True


def _satisfies(condition: Any, value: Any) -> bool:
    if isinstance(condition, Mapping):
        operator, operand = next(iter(condition.items()))
        if operator == "exists":
            return (value is not _ABSENT) == operand
        if operator == "anything-but":
            return value is not _ABSENT and _anything_but(operand, value)
    candidates = value if isinstance(value, list) else [value]
    return any(_condition_holds(condition, candidate) for candidate in candidates)


def _anything_but(operand: Any, value: Any) -> bool:
    excluded = operand if isinstance(operand, list) else [operand]
    candidates = value if isinstance(value, list) else [value]
    return not any(_same(item, candidate) for item in excluded for candidate in candidates)


def _condition_holds(condition: Any, value: Any) -> bool:
    if value is _ABSENT:
        return False
    if not isinstance(condition, Mapping):
        return _same(condition, value)
    operator, operand = next(iter(condition.items()))
    if operator == "numeric":
        return _is_number(value) and _in_range(operand, value)
    if not isinstance(value, str):
        return False
    if operator == "equals-ignore-case":
        return value.casefold() == str(operand).casefold()
    return value.startswith(operand) if operator == "prefix" else value.endswith(operand)


def _in_range(operand: list[Any], number: float) -> bool:
    return all(
        _COMPARE[comparison](number, bound)
        for comparison, bound in zip(operand[0::2], operand[1::2], strict=True)
    )


def _same(condition: Any, value: Any) -> bool:
    """Equal as JSON values: a number never equals a string or a boolean."""
    if isinstance(condition, bool) or isinstance(value, bool):
        return condition is value
    if _is_number(condition) and _is_number(value):
        return bool(condition == value)
    return type(condition) is type(value) and condition == value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
