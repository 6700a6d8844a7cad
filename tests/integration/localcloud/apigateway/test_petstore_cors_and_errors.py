"""A browser app on the allowed origin, over real HTTP against the pet store's local
cloud: every route answers its preflight from the template's CORS settings, a
preflight they do not cover gets no CORS headers, and every error (a function's, the
authorizer's, the gateway's own) carries CORS headers and the project's error shape."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from localcloud.cloud import LocalCloud

pytestmark = pytest.mark.integration

APP = "http://localhost:5173"
"""The template's default AllowedOrigin."""
MISSING_PET_ID = "00000000-0000-0000-0000-000000000000"
MAX_BODY_BYTES = 10 * 1024 * 1024


def preflight(cloud: LocalCloud, path: str, method: str, headers: str, origin: str = APP) -> Any:
    return requests.options(
        f"{cloud.api_url}{path}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
        timeout=30,
    )


def cors_headers(answer: requests.Response) -> dict[str, str]:
    return {k: v for k, v in answer.headers.items() if k.lower().startswith("access-control-")}


def error_of(answer: requests.Response) -> dict[str, Any]:
    body = answer.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "field"} <= set(body["error"]), body
    error: dict[str, Any] = body["error"]
    return error


def test_every_route_answers_a_preflight_from_the_app_with_its_methods_and_headers(
    local_cloud: LocalCloud,
) -> None:
    assert local_cloud.stack is not None
    routes = [route for route in local_cloud.stack.routes if route.function is not None]
    assert routes
    for route in routes:
        path = route.path.replace("{", "").replace("}", "")
        answer = preflight(local_cloud, path, route.method, "authorization,content-type")

        assert answer.status_code == 200, (route.method, route.path)
        assert answer.headers["Access-Control-Allow-Origin"] == APP
        assert route.method in answer.headers["Access-Control-Allow-Methods"].split(",")
        allowed = answer.headers["Access-Control-Allow-Headers"].split(",")
        assert {"Authorization", "Content-Type", "X-Amz-Date", "X-Amz-Security-Token"} <= set(
            allowed
        )
        assert answer.headers["Access-Control-Max-Age"] == "600"


@pytest.mark.parametrize(
    ("method", "headers", "origin"),
    [
        ("PATCH", "content-type", APP),
        ("POST", "content-type,x-secret", APP),
        ("POST", "content-type", "https://evil.example"),
    ],
    ids=["method", "header", "origin"],
)
def test_a_preflight_the_api_does_not_allow_gets_no_cors_headers(
    local_cloud: LocalCloud, method: str, headers: str, origin: str
) -> None:
    answer = preflight(local_cloud, "/pets", method, headers, origin)

    assert answer.status_code == 200
    assert cors_headers(answer) == {}


def test_a_functions_404_carries_cors_headers_and_the_error_shape(
    local_cloud: LocalCloud,
) -> None:
    answer = requests.get(
        f"{local_cloud.api_url}/pets/{MISSING_PET_ID}", headers={"Origin": APP}, timeout=30
    )

    assert answer.status_code == 404
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert error_of(answer)["code"] == "NotFound"


def test_the_authorizers_401_carries_cors_headers_and_the_error_shape(
    local_cloud: LocalCloud,
) -> None:
    answer = requests.post(
        f"{local_cloud.api_url}/orders", json={}, headers={"Origin": APP}, timeout=30
    )

    assert answer.status_code == 401
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert answer.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert error_of(answer) == {
        "code": "Unauthorized",
        "message": "Sign in: the Authorization header must carry a valid ID token.",
        "field": None,
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/no/such/route"), ("DELETE", "/orders/o-1"), ("POST", "/notifications")],
    ids=["unknown path", "unknown method", "unsigned internal route"],
)
def test_a_missing_route_or_signature_is_403_with_cors_headers_and_the_error_shape(
    local_cloud: LocalCloud, method: str, path: str
) -> None:
    answer = requests.request(
        method, f"{local_cloud.api_url}{path}", headers={"Origin": APP}, timeout=30
    )

    assert answer.status_code == 403
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert error_of(answer)["code"] == "MissingAuthenticationToken"


def test_a_body_over_api_gateways_quota_is_413_with_cors_headers_and_the_error_shape(
    local_cloud: LocalCloud,
) -> None:
    answer = requests.post(
        f"{local_cloud.api_url}/pets",
        data=b"x" * (MAX_BODY_BYTES + 1),
        headers={"Origin": APP, "Content-Type": "application/json"},
        timeout=60,
    )

    assert answer.status_code == 413
    assert answer.headers["Access-Control-Allow-Origin"] == APP
    assert error_of(answer) == {
        "code": "PayloadTooLarge",
        "message": "Request Too Long",
        "field": None,
    }
