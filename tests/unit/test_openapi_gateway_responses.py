"""The OpenAPI document names every status a route can answer, API Gateway's own
answers included (template.yaml's GatewayResponses), all in the shared error shape."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

GENERATOR_PATH = Path(__file__).resolve().parents[2] / "infrastructure" / "openapi" / "generate.py"
ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}


@pytest.fixture(scope="module")
def operations() -> list[tuple[str, dict[str, Any]]]:
    spec = importlib.util.spec_from_file_location("openapi_generate_gateway", GENERATOR_PATH)
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generate
    spec.loader.exec_module(generate)
    document = generate.build_document()
    return [
        (f"{method.upper()} {path}", operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


def error_schema(operation: dict[str, Any], status: str) -> Any:
    return operation["responses"][status]["content"]["application/json"]["schema"]


def test_every_route_documents_the_gateways_413_429_and_the_5xx_in_the_error_shape(
    operations: list[tuple[str, dict[str, Any]]],
) -> None:
    for route, operation in operations:
        for status in ("413", "429", "500", "502", "503"):
            assert error_schema(operation, status) == ERROR_SCHEMA, (route, status)
