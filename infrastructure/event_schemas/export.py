"""Export the JSON Schema of every event of the catalogue to events/schemas/.

One file per event type and version, `<type>.v<version>.json`: the whole envelope, with
`type` and `version` fixed and `data` the type's payload. Files of earlier versions stay:
they are what `compatibility` checks new versions against.

    python -m infrastructure.event_schemas.export          # write the schemas
    python -m infrastructure.event_schemas.export --check  # exit 1 if one is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_LAYER_DIR = REPO_ROOT / "layers" / "shared"
SCHEMAS_DIR = REPO_ROOT / "events" / "schemas"


def current_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for the current version of every event type."""
    if str(SHARED_LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(SHARED_LAYER_DIR))
    from petstore_shared.events.catalog import EVENT_DATA_MODELS
    from petstore_shared.events.envelope import Event

    schemas = {}
    for model in EVENT_DATA_MODELS:
        schema = Event[model].model_json_schema(mode="serialization")  # type: ignore[valid-type]
        schema["title"] = f"{model.event_type} v{model.event_version}"
        schema["description"] = (model.__doc__ or "").strip() or schema["title"]
        schema["properties"]["type"] = {"const": model.event_type, "type": "string"}
        schema["properties"]["version"] = {"const": model.event_version, "type": "integer"}
        schemas[schema_file_name(model.event_type, model.event_version)] = schema
    return schemas


def schema_file_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.json"


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def out_of_date() -> list[str]:
    """The schema files that differ from the catalogue (or are missing)."""
    return [
        name
        for name, schema in current_schemas().items()
        if not (SCHEMAS_DIR / name).exists() or (SCHEMAS_DIR / name).read_text() != render(schema)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export the events' JSON Schemas.")
    parser.add_argument("--check", action="store_true", help="fail if a schema is out of date")
    arguments = parser.parse_args(argv)
    if arguments.check:
        stale = out_of_date()
        for name in stale:
            print(f"events/schemas/{name} is out of date: run the export.", file=sys.stderr)
        return 1 if stale else 0
    SCHEMAS_DIR.mkdir(parents=True, exist_ok=True)
    for name, schema in current_schemas().items():
        (SCHEMAS_DIR / name).write_text(render(schema))
    print(f"wrote {len(current_schemas())} schemas to events/schemas/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
