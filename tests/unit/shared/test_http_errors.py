"""Every error, from any service's resolver, comes out in one JSON shape:
{"error": {"code", "message", "field"}}."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from petstore_shared.domain_errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationError,
)
from petstore_shared.http_errors import field_path
from petstore_shared.rest_api import create_rest_resolver


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: int


class WrongShape(BaseModel):
    total: int


app = create_rest_resolver()
raised: dict[str, Exception] = {}


@app.post("/raise")
def raise_the_configured_error() -> dict[str, str]:
    raise raised["error"]


@app.post("/orders")
def accept_order(order: Annotated[Order, Body()]) -> dict[str, int]:
    return {"quantity": order.quantity}


@app.get("/wrong-shape")
def return_the_wrong_shape() -> WrongShape:
    return {"total": "not a number"}  # type: ignore[return-value]


def _call(method: str, path: str, body: str | None = None) -> tuple[int, Any]:
    event = {
        "httpMethod": method,
        "path": path,
        "resource": path,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"requestId": "test", "stage": "test"},
        "body": body,
        "isBase64Encoded": False,
    }
    result = app.resolve(event, LambdaContext())
    return result["statusCode"], json.loads(result["body"])


@pytest.mark.parametrize(
    ("error", "status", "code", "field"),
    [
        (NotFound("No such order."), 404, "NotFound", None),
        (
            Conflict("Stale.", code="VersionConflict", field="version"),
            409,
            "VersionConflict",
            "version",
        ),
        (Forbidden("Admins only."), 403, "Forbidden", None),
        (Unauthorized("Sign in."), 401, "Unauthorized", None),
        (ValidationError("Bad token.", field="nextToken"), 400, "InvalidRequest", "nextToken"),
        (DomainError("Unclassified."), 400, "DomainError", None),
    ],
)
def test_domain_errors_map_to_their_status_in_the_shared_shape(error, status, code, field):
    raised["error"] = error

    actual_status, body = _call("POST", "/raise")

    assert actual_status == status
    assert body == {"error": {"code": code, "message": error.message, "field": field}}


def test_an_unexpected_exception_is_a_500_in_the_shared_shape_without_details():
    raised["error"] = RuntimeError("database password is hunter2")

    status, body = _call("POST", "/raise")

    assert status == 500
    assert body["error"]["code"] == "InternalError"
    assert "hunter2" not in json.dumps(body)


def test_a_validation_error_names_the_field():
    status, body = _call("POST", "/orders", body='{"quantity": "many"}')

    assert status == 422
    assert body["error"]["code"] == "InvalidField"
    assert body["error"]["field"] == "quantity"


def test_malformed_json_is_400():
    status, body = _call("POST", "/orders", body="{")

    assert status == 400
    assert body == {
        "error": {
            "code": "MalformedJson",
            "message": "The request body is not valid JSON.",
            "field": None,
        }
    }


def test_a_handler_returning_the_wrong_shape_is_our_500_not_the_clients_422():
    status, body = _call("GET", "/wrong-shape")

    assert status == 500
    assert body["error"]["code"] == "InternalError"


def test_an_unknown_route_is_404_in_the_shared_shape():
    status, body = _call("GET", "/nowhere")

    assert status == 404
    assert body["error"]["code"] == "RouteNotFound"


@pytest.mark.parametrize(
    ("location", "path"),
    [
        (("body", "price", "amount"), "price.amount"),
        (("body", "tags", 2), "tags[2]"),
        (("body", "items", 0, "petId"), "items[0].petId"),
        (("query", "limit"), "limit"),
        (("path", "petId"), "petId"),
        (("body",), None),
    ],
)
def test_field_paths_read_like_the_json_they_point_into(location, path):
    assert field_path(location) == path
