"""An HTTP API function's result (payload format 2.0) as API Gateway turns it into the
response: a result with statusCode as such (cookies become Set-Cookie headers), any other
JSON value a 200 whose body is that JSON, a string the body itself."""

from __future__ import annotations

import pytest

from localcloud.apigateway.proxy import MalformedProxyResponse
from localcloud.apigateway.proxy_v2 import http_response_v2


def test_a_result_with_a_status_code_is_the_response_and_its_cookies_set_cookie() -> None:
    response = http_response_v2(
        {"statusCode": 201, "headers": {"X-Id": "7"}, "cookies": ["a=1", "b=2"], "body": "made"}
    )

    assert response.status == 201
    assert response.headers == [("X-Id", "7"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    assert response.body == b"made"


@pytest.mark.parametrize(
    ("result", "body"),
    [
        ({"status": "ok"}, b'{"status": "ok"}'),
        ([1, 2], b"[1, 2]"),
        ("plain words", b"plain words"),
        (None, b"null"),
    ],
)
def test_any_other_result_is_a_200_json_body(result: object, body: bytes) -> None:
    response = http_response_v2(result)

    assert (response.status, response.body) == (200, body)
    assert response.headers == [("Content-Type", "application/json")]


def test_cookies_that_are_not_a_list_of_strings_are_malformed() -> None:
    with pytest.raises(MalformedProxyResponse, match="cookies"):
        http_response_v2({"statusCode": 200, "cookies": "a=1"})
