"""A function's answer, errors included, carries Access-Control-Allow-Origin for a
request from the stack's allowed origin (CORS_ALLOWED_ORIGIN), and none otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from petstore_shared.domain_errors import NotFound
from petstore_shared.rest_api import create_rest_resolver
from petstore_shared.settings import load_settings
from support.rest_api_invocation import rest_api_event

SHOP = "https://shop.example.com"


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[APIGatewayRestResolver]:
    monkeypatch.setenv("CORS_ALLOWED_ORIGIN", SHOP)
    load_settings.cache_clear()
    app = create_rest_resolver()

    @app.get("/things/<thing_id>")
    def missing_thing(thing_id: str) -> dict[str, Any]:
        raise NotFound(f"No thing {thing_id}.")

    yield app
    load_settings.cache_clear()


def answer(app: APIGatewayRestResolver, origin: str | None) -> dict[str, Any]:
    headers = {"Origin": origin} if origin else {}
    event = rest_api_event("GET", "/things/t1", resource="/things/{thing_id}", headers=headers)
    response: dict[str, Any] = app.resolve(event, None)
    return response


def test_an_error_answer_to_the_allowed_origin_carries_cors_headers(
    resolver: APIGatewayRestResolver,
) -> None:
    response = answer(resolver, SHOP)

    assert response["statusCode"] == 404
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == [SHOP]
    assert "Authorization" in response["multiValueHeaders"]["Access-Control-Allow-Headers"][0]


@pytest.mark.parametrize("origin", ["https://evil.example", None], ids=["other", "none"])
def test_an_answer_to_another_origin_or_none_carries_no_cors_headers(
    resolver: APIGatewayRestResolver, origin: str | None
) -> None:
    response = answer(resolver, origin)

    assert response["statusCode"] == 404
    assert "Access-Control-Allow-Origin" not in response["multiValueHeaders"]
