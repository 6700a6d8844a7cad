"""A browser app on the allowed origin can call the API, and API Gateway's own answers
(no route, no token, too large, throttled, a failed function) come in the functions'
error shape with CORS headers: what CloudFormation receives from both templates."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from localcloud.apigateway.responses import render_template
from localcloud.cloudformation.template import parse_template, transform_template

PROJECT_ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = [PROJECT_ROOT / "template.yaml", PROJECT_ROOT / "infrastructure/kafka/template.yaml"]
ALLOWED_ORIGIN = {"Fn::Sub": "'${AllowedOrigin}'"}
BROWSER_HEADERS = {"Authorization", "Content-Type", "X-Amz-Date", "X-Amz-Security-Token"}
STATUS_BY_GATEWAY_RESPONSE = {
    "UNAUTHORIZED": "401",
    "ACCESS_DENIED": "403",
    "MISSING_AUTHENTICATION_TOKEN": "403",
    "INVALID_SIGNATURE": "403",
    "EXPIRED_TOKEN": "403",
    "REQUEST_TOO_LARGE": "413",
    "THROTTLED": "429",
    "INTEGRATION_TIMEOUT": "504",
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
}

by_variant = pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.parent.name)


@cache
def template_of(path: Path) -> dict[str, Any]:
    return parse_template(path.read_text())


@cache
def swagger_of(path: Path) -> dict[str, Any]:
    """The API's swagger body as the SAM transform hands it to CloudFormation."""
    transformed = transform_template(template_of(path), path.parent, region="us-east-1")
    body: dict[str, Any] = transformed.template["Resources"]["PetStoreApi"]["Properties"]["Body"]
    return body


def api_properties(path: Path) -> dict[str, Any]:
    properties: dict[str, Any] = template_of(path)["Resources"]["PetStoreApi"]["Properties"]
    return properties


def listed(expression: str) -> set[str]:
    return {part.strip() for part in expression.strip("'").split(",")}


@by_variant
def test_the_allowed_origin_is_a_parameter_defaulting_to_a_local_dev_server(path: Path) -> None:
    parameter = template_of(path)["Parameters"]["AllowedOrigin"]
    pattern = re.compile(parameter["AllowedPattern"])

    assert parameter["Default"] == "http://localhost:5173"
    for origin in ("*", "https://shop.example.com", "http://localhost:5173"):
        assert pattern.fullmatch(origin), origin
    for origin in ("https://shop.example.com/", "shop.example.com", "https://a.com'", "*.a.com"):
        assert not pattern.fullmatch(origin), origin


@by_variant
def test_the_api_allows_the_origin_the_browser_headers_and_caches_preflights(path: Path) -> None:
    cors = api_properties(path)["Cors"]

    assert cors["AllowOrigin"] == ALLOWED_ORIGIN
    assert listed(cors["AllowHeaders"]) == BROWSER_HEADERS
    assert cors["MaxAge"] == "'600'"
    assert "AllowCredentials" not in cors


@by_variant
def test_every_path_answers_its_preflight_without_a_token_listing_its_own_methods(
    path: Path,
) -> None:
    paths = swagger_of(path)["paths"]

    assert paths
    for resource, operations in paths.items():
        options = operations["options"]
        integration = options["x-amazon-apigateway-integration"]
        headers = integration["responses"]["default"]["responseParameters"]
        methods = {method.upper() for method in operations} | {"OPTIONS"}
        assert integration["type"] == "mock", resource
        assert "security" not in options, resource
        assert headers["method.response.header.Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
        assert listed(headers["method.response.header.Access-Control-Allow-Methods"]) == methods
        assert listed(headers["method.response.header.Access-Control-Allow-Headers"]) == (
            BROWSER_HEADERS
        )


@by_variant
def test_every_function_knows_the_allowed_origin_for_its_own_answers(path: Path) -> None:
    variables = template_of(path)["Globals"]["Function"]["Environment"]["Variables"]

    assert variables["CORS_ALLOWED_ORIGIN"] == {"Ref": "AllowedOrigin"}


@by_variant
def test_gateway_responses_have_the_error_shape_cors_and_their_status(path: Path) -> None:
    responses = swagger_of(path)["x-amazon-apigateway-gateway-responses"]

    assert set(responses) == set(STATUS_BY_GATEWAY_RESPONSE)
    for response_type, status in STATUS_BY_GATEWAY_RESPONSE.items():
        response = responses[response_type]
        origin = response["responseParameters"][
            "gatewayresponse.header.Access-Control-Allow-Origin"
        ]
        context = {"error.messageString": json.dumps('A "quoted"\nmessage')}
        body = json.loads(
            render_template(response["responseTemplates"]["application/json"], context)
        )
        assert response.get("statusCode") == status, response_type
        assert origin == ALLOWED_ORIGIN, response_type
        assert set(body) == {"error"}, response_type
        assert set(body["error"]) == {"code", "message", "field"}, response_type
        assert re.fullmatch(r"[A-Z][A-Za-z]+", body["error"]["code"]), response_type
        assert body["error"]["message"], response_type


@by_variant
def test_a_missing_token_names_the_sign_in_and_an_unknown_route_says_so(path: Path) -> None:
    responses = swagger_of(path)["x-amazon-apigateway-gateway-responses"]

    def error_of(response_type: str) -> dict[str, Any]:
        template = responses[response_type]["responseTemplates"]["application/json"]
        rendered: dict[str, Any] = json.loads(render_template(template, {}))["error"]
        return rendered

    assert error_of("UNAUTHORIZED")["code"] == "Unauthorized"
    assert "ID token" in error_of("UNAUTHORIZED")["message"]
    assert error_of("MISSING_AUTHENTICATION_TOKEN")["code"] == "MissingAuthenticationToken"
    assert "No route" in error_of("MISSING_AUTHENTICATION_TOKEN")["message"]
