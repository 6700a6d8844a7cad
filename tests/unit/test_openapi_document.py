"""docs/openapi.json is generated from the handlers and must not drift from them."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
GENERATOR_PATH = REPO_ROOT / "infrastructure" / "openapi" / "generate.py"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("openapi_generate", GENERATOR_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


@pytest.fixture(scope="module")
def generated_document() -> dict:
    return generate.build_document()


def test_committed_openapi_document_matches_the_handlers(generated_document):
    committed = generate.DOCUMENT_PATH.read_text() if generate.DOCUMENT_PATH.exists() else ""

    assert committed == generate.render_document(generated_document), (
        "docs/openapi.json is out of date with the handlers: run `make openapi` and commit it."
    )


def test_document_is_titled_and_declares_both_security_schemes(generated_document):
    assert generated_document["openapi"].startswith("3.1")
    assert generated_document["info"]["title"] == "Pet Store API"
    schemes = generated_document["components"]["securitySchemes"]
    assert schemes["cognitoJwt"]["scheme"] == "bearer"
    assert schemes["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"


@pytest.mark.parametrize(
    ("method", "path", "security"),
    [
        ("get", "/pets", None),
        ("get", "/pets/{petId}", None),
        ("post", "/pets", [{"cognitoJwt": ["admin"]}]),
        ("put", "/pets/{petId}", [{"cognitoJwt": ["admin"]}]),
        ("delete", "/pets/{petId}", [{"cognitoJwt": ["admin"]}]),
        ("post", "/pets/{petId}/decrementInventory", [{"sigv4": []}]),
        ("post", "/pets/{petId}/releaseInventory", [{"sigv4": []}]),
    ],
)
def test_each_pets_route_is_documented_with_its_auth(generated_document, method, path, security):
    operation = generated_document["paths"][path][method]

    assert operation.get("security") == security


def test_errors_are_documented_in_the_shared_shape(generated_document):
    not_found = generated_document["paths"]["/pets/{petId}"]["get"]["responses"]["404"]

    assert not_found["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }


def test_every_ref_points_at_a_schema_in_the_document(generated_document):
    text = json.dumps(generated_document)
    schemas = generated_document["components"]["schemas"]
    prefix = '"$ref": "#/components/schemas/'
    referenced = {part.split('"', 1)[0] for part in text.split(prefix)[1:]}

    assert referenced <= set(schemas)


def _handler(module_name: str, path: str, schemas: dict) -> object:
    return generate.HandlerSchema(
        module_name=module_name,
        paths={path: {"get": {"responses": {"200": {"$ref": "#/components/schemas/Money"}}}}},
        schemas=schemas,
    )


def test_same_model_named_differently_by_two_handlers_is_merged_under_one_name():
    money = {"type": "object", "properties": {"amount": {"type": "string"}}}
    plain = _handler("pets.handlers.a", "/a", {"Money": money})
    suffixed = _handler("pets.handlers.b", "/b", {"Money-Output": money, "Money": money})

    _, schemas = generate.merge_handler_schemas([plain, suffixed])

    assert list(schemas) == ["Money-Output"]


def test_two_services_with_different_models_of_one_name_get_qualified_names():
    pets_money = {"type": "object", "properties": {"amount": {"type": "string"}}}
    orders_money = {"type": "object", "properties": {"cents": {"type": "integer"}}}
    pets = _handler("pets.handlers.a", "/pets", {"Money": pets_money})
    orders = _handler("orders.handlers.b", "/orders", {"Money": orders_money})

    paths, schemas = generate.merge_handler_schemas([pets, orders])

    assert schemas == {"PetsMoney": pets_money, "OrdersMoney": orders_money}
    assert paths["/orders"]["get"]["responses"]["200"]["$ref"] == (
        "#/components/schemas/OrdersMoney"
    )


def test_two_handlers_declaring_the_same_route_is_an_error():
    money = {"type": "string"}
    first = _handler("pets.handlers.a", "/pets", {"Money": money})
    second = _handler("pets.handlers.b", "/pets", {"Money": money})

    with pytest.raises(generate.OpenApiMergeError, match="GET /pets"):
        generate.merge_handler_schemas([first, second])
