"""The answers the API Gateway emulator composes itself, rendered from the API's
mappings as API Gateway renders them: gateway responses (by type, then DEFAULT_4XX /
DEFAULT_5XX, then API Gateway's default), MOCK integrations, and CORS preflights."""

from __future__ import annotations

import json

import pytest

from localcloud.apigateway.cors import without_uncovered_allowance
from localcloud.apigateway.messages import GatewayResponse, ReceivedRequest
from localcloud.apigateway.responses import (
    GatewayError,
    RequestValues,
    gateway_response,
    internal_error,
    mapped_response,
    missing_route,
    render_template,
)
from localcloud.cloudformation.provisioning.api import gateway_responses, mock_response
from localcloud.model import ResponseMapping, RestApiSettings, TemplateError

SHAPED = '{"error": {"code": "%s", "message": $context.error.messageString, "field": null}}'
CORS = (("Access-Control-Allow-Origin", "'https://shop.example'"),)
API = RestApiSettings(
    "api1",
    gateway_responses=(
        (
            "UNAUTHORIZED",
            ResponseMapping(401, CORS, (("application/json", SHAPED % "Unauthorized"),)),
        ),
        ("DEFAULT_4XX", ResponseMapping(None, CORS, (("application/json", SHAPED % "Invalid"),))),
        ("DEFAULT_5XX", ResponseMapping(None, CORS, (("application/json", SHAPED % "Internal"),))),
    ),
)
UNAUTHORIZED = GatewayError("UNAUTHORIZED", 401, "Unauthorized", "UnauthorizedException")


def header(response: GatewayResponse, name: str) -> str | None:
    return next((v for k, v in response.headers if k.lower() == name.lower()), None)


def request(method: str = "GET", *headers: tuple[str, str]) -> ReceivedRequest:
    return ReceivedRequest(method, "/pets?limit=2", list(headers), b"", "127.0.0.1")


def test_a_customized_type_answers_its_status_headers_and_shaped_body() -> None:
    response = gateway_response(UNAUTHORIZED, API, RequestValues())

    assert response.status == 401
    assert header(response, "Access-Control-Allow-Origin") == "https://shop.example"
    assert header(response, "Content-Type") == "application/json"
    assert header(response, "x-amzn-ErrorType") == "UnauthorizedException"
    assert json.loads(response.body) == {
        "error": {"code": "Unauthorized", "message": "Unauthorized", "field": None}
    }


def test_a_type_the_api_does_not_customize_takes_its_default_group_and_keeps_its_status() -> None:
    too_large = GatewayError("REQUEST_TOO_LARGE", 413, "Request Too Long", "RequestTooLong")

    client_error = gateway_response(too_large, API, RequestValues())
    server_error = gateway_response(internal_error(), API, RequestValues())

    assert client_error.status == 413
    assert json.loads(client_error.body)["error"]["code"] == "Invalid"
    assert server_error.status == 502
    assert json.loads(server_error.body)["error"] == {
        "code": "Internal",
        "message": "Internal server error",
        "field": None,
    }
    assert header(server_error, "Access-Control-Allow-Origin") == "https://shop.example"


def test_an_api_without_gateway_responses_answers_api_gateways_default() -> None:
    response = gateway_response(missing_route(), RestApiSettings(), RequestValues())

    assert response.status == 403
    assert response.body == b'{"message":"Missing Authentication Token"}'
    assert header(response, "x-amzn-ErrorType") == "MissingAuthenticationTokenException"
    assert header(response, "Access-Control-Allow-Origin") is None


def test_the_message_string_is_a_json_string_whatever_the_message_holds() -> None:
    signature = GatewayError("DEFAULT_4XX", 403, "Expected\n'a \"b\"'\\", "InvalidSignature")

    response = gateway_response(signature, API, RequestValues())

    assert json.loads(response.body)["error"]["message"] == "Expected\n'a \"b\"'\\"


def test_context_variables_render_in_both_notations_and_unknown_ones_render_empty() -> None:
    template = "$context.requestId|${context.error.responseType}|$context.nope|$stageVariables.x."

    rendered = render_template(template, {"requestId": "r-1", "error.responseType": "THROTTLED"})

    assert rendered == "r-1|THROTTLED||."


def test_header_mappings_read_the_request_and_an_absent_value_leaves_the_header_out() -> None:
    mapping = ResponseMapping(
        200,
        (
            ("X-Origin", "method.request.header.origin"),
            ("X-Limit", "method.request.querystring.limit"),
            ("X-Pet", "method.request.path.petId"),
            ("X-Request", "context.requestId"),
            ("X-Absent", "method.request.header.X-Nope"),
        ),
    )
    values = RequestValues.of(
        request("GET", ("Origin", "https://a.example")), {"requestId": "r-2"}, {"petId": "p1"}
    )

    response = mapped_response(mapping, values)

    assert header(response, "X-Origin") == "https://a.example"
    assert header(response, "X-Limit") == "2"
    assert header(response, "X-Pet") == "p1"
    assert header(response, "X-Request") == "r-2"
    assert header(response, "X-Absent") is None


# ---------------------------------------------------------------- MOCK integrations (SAM Cors)

ALLOW = "method.response.header.Access-Control-Allow-"
SAM_PREFLIGHT = {
    "type": "mock",
    "requestTemplates": {"application/json": '{\n  "statusCode" : 200\n}\n'},
    "responses": {
        "default": {
            "statusCode": "200",
            "responseTemplates": {"application/json": "{}\n"},
            "responseParameters": {
                f"{ALLOW}Origin": "'https://shop.example'",
                "method.response.header.Access-Control-Max-Age": "'600'",
                f"{ALLOW}Methods": "'GET,OPTIONS,POST'",
                f"{ALLOW}Headers": "'Authorization,Content-Type'",
            },
        }
    },
}


def preflight(origin: str, method: str, headers: str = "") -> GatewayResponse:
    asked = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if headers:
        asked.append(("Access-Control-Request-Headers", headers))
    received = request("OPTIONS", *asked)
    answer = mapped_response(mock_response("OPTIONS /pets", SAM_PREFLIGHT), RequestValues())
    return without_uncovered_allowance(received, answer)


def test_sams_preflight_mock_answers_200_with_its_mapped_headers() -> None:
    answer = preflight("https://shop.example", "POST", "authorization,content-type")

    assert answer.status == 200
    assert answer.body == b"{}\n"
    assert header(answer, "Access-Control-Allow-Origin") == "https://shop.example"
    assert header(answer, "Access-Control-Allow-Methods") == "GET,OPTIONS,POST"
    assert header(answer, "Access-Control-Allow-Headers") == "Authorization,Content-Type"
    assert header(answer, "Access-Control-Max-Age") == "600"


@pytest.mark.parametrize(
    ("origin", "method", "headers"),
    [
        ("https://evil.example", "GET", ""),
        ("https://shop.example", "DELETE", ""),
        ("https://shop.example", "POST", "content-type,x-secret"),
    ],
    ids=["origin", "method", "header"],
)
def test_a_preflight_the_allowance_does_not_cover_gets_no_allow_headers(
    origin: str, method: str, headers: str
) -> None:
    answer = preflight(origin, method, headers)

    assert answer.status == 200
    assert not [name for name, _ in answer.headers if name.lower().startswith("access-control-")]


def test_a_mock_selects_the_integration_response_its_request_template_names() -> None:
    integration = {
        "type": "mock",
        "requestTemplates": {"application/json": '{"statusCode": 404}'},
        "responses": {
            "4\\d{2}": {"statusCode": "404", "responseTemplates": {"application/json": "gone"}},
            "default": {"statusCode": "200"},
        },
    }

    mapping = mock_response("GET /gone", integration)

    assert (mapping.status, mapping.templates) == (404, (("application/json", "gone"),))


def test_gateway_responses_are_read_from_the_swagger_extension() -> None:
    body = {
        "x-amazon-apigateway-gateway-responses": {
            "THROTTLED": {
                "statusCode": "429",
                "responseParameters": {"gatewayresponse.header.Retry-After": "'1'"},
                "responseTemplates": {"application/json": SHAPED % "TooManyRequests"},
            },
            "DEFAULT_5XX": {"responseTemplates": {"application/json": "{}"}},
        }
    }

    assert gateway_responses("Api", body) == (
        (
            "THROTTLED",
            ResponseMapping(
                429,
                (("Retry-After", "'1'"),),
                (("application/json", SHAPED % "TooManyRequests"),),
            ),
        ),
        ("DEFAULT_5XX", ResponseMapping(None, (), (("application/json", "{}"),))),
    )


def test_a_header_mapping_the_emulator_cannot_evaluate_is_refused_at_provisioning() -> None:
    body = {
        "x-amazon-apigateway-gateway-responses": {
            "THROTTLED": {"responseParameters": {"gatewayresponse.header.X": "integration.x"}}
        }
    }

    with pytest.raises(TemplateError, match="THROTTLED"):
        gateway_responses("Api", body)
