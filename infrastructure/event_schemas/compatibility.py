"""Whether a new version of an event's schema can be read by consumers of an older one:
it may add optional fields, but not remove a field, change a field's JSON type, or
require a field the older version did not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IGNORED_PROPERTIES = frozenset({"version"})
"""Top-level envelope fields that differ between versions by definition."""


@dataclass(frozen=True)
class SchemaPair:
    old_root: dict[str, Any]
    new_root: dict[str, Any]

    def resolve_old(self, schema: dict[str, Any]) -> dict[str, Any]:
        return _resolve(schema, self.old_root)

    def resolve_new(self, schema: dict[str, Any]) -> dict[str, Any]:
        return _resolve(schema, self.new_root)


def compatibility_problems(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in `new` breaks readers of `old`; empty when it is a compatible evolution."""
    return _problems(old, new, SchemaPair(old, new), path="")


def _problems(old: dict[str, Any], new: dict[str, Any], pair: SchemaPair, path: str) -> list[str]:
    old, new = pair.resolve_old(old), pair.resolve_new(new)
    where = path or "the event"
    if _types(old) != _types(new):
        return [f"{where}: type {sorted(_types(old))} became {sorted(_types(new))}"]
    problems = []
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    for name, old_property in old_properties.items():
        if not path and name in IGNORED_PROPERTIES:
            continue
        field = f"{path}.{name}" if path else name
        if name not in new_properties:
            problems.append(f"{field}: removed")
        else:
            problems += _problems(old_property, new_properties[name], pair, field)
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        problems.append(f"{path}.{name}: newly required" if path else f"{name}: newly required")
    return problems


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
    return schema


def _types(schema: dict[str, Any]) -> frozenset[str]:
    """The JSON types a schema allows (`anyOf` alternatives included)."""
    if "anyOf" in schema:
        return frozenset().union(*(_types(option) for option in schema["anyOf"]))
    kind = schema.get("type")
    if kind is None:
        return frozenset({"object"}) if "properties" in schema else frozenset({"any"})
    return frozenset(kind if isinstance(kind, list) else [kind])
