"""events/schemas/ holds the JSON Schema of every event, exported from the catalogue:
it must not drift from the models, and a model's current schema must stay readable by
consumers of every version committed before it."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from petstore_shared.events.catalog import EVENT_DATA_MODELS

TOOL_DIR = Path(__file__).resolve().parents[3] / "infrastructure" / "event_schemas"


def load_tool(name: str) -> ModuleType:
    """infrastructure/ is not a package on the test path; load the tool by its file."""
    spec = importlib.util.spec_from_file_location(f"event_schemas_{name}", TOOL_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


export = load_tool("export")
compatibility_problems = load_tool("compatibility").compatibility_problems
SCHEMAS_DIR: Path = export.SCHEMAS_DIR
CURRENT: dict[str, dict[str, Any]] = export.current_schemas()


def committed_schemas() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in SCHEMAS_DIR.glob("*.json")}


def test_every_schema_file_matches_the_event_catalogue() -> None:
    assert export.out_of_date() == [], "run `python -m infrastructure.event_schemas.export`"


def test_every_event_type_has_a_schema() -> None:
    assert {schema["properties"]["type"]["const"] for schema in CURRENT.values()} == {
        model.event_type for model in EVENT_DATA_MODELS
    }


@pytest.mark.parametrize("file_name", sorted(committed_schemas()))
def test_the_current_schema_can_be_read_by_consumers_of_each_committed_version(
    file_name: str,
) -> None:
    committed = committed_schemas()[file_name]
    event_type = committed["properties"]["type"]["const"]
    [current] = [s for s in CURRENT.values() if s["properties"]["type"]["const"] == event_type]

    assert compatibility_problems(committed, current) == []


def with_data(schema: dict[str, Any], change: Any) -> dict[str, Any]:
    """A copy of an exported schema with its payload's definition changed."""
    changed = copy.deepcopy(schema)
    data = changed["$defs"][changed["properties"]["data"]["$ref"].removeprefix("#/$defs/")]
    change(data)
    return changed


PLACED = CURRENT["order.placed.v1.json"]


def test_adding_an_optional_field_is_compatible() -> None:
    newer = with_data(PLACED, lambda data: data["properties"].update(note={"type": "string"}))

    assert compatibility_problems(PLACED, newer) == []


def test_removing_a_field_is_not() -> None:
    newer = with_data(PLACED, lambda data: data["properties"].pop("quantity"))

    assert compatibility_problems(PLACED, newer) == ["data.quantity: removed"]


def test_changing_a_fields_type_is_not() -> None:
    newer = with_data(PLACED, lambda data: data["properties"].update(quantity={"type": "string"}))

    assert compatibility_problems(PLACED, newer) == [
        "data.quantity: type ['integer'] became ['string']"
    ]


def test_requiring_a_new_field_is_not() -> None:
    def require_note(data: dict[str, Any]) -> None:
        data["properties"]["note"] = {"type": "string"}
        data["required"].append("note")

    assert compatibility_problems(PLACED, with_data(PLACED, require_note)) == [
        "data.note: newly required"
    ]


def test_a_schema_file_is_rendered_stably() -> None:
    assert export.render(PLACED) == export.render(json.loads(export.render(PLACED)))
