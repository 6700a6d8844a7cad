"""The API Gateway emulator's routing, proxy events and response mapping, served on a
local port with a fake `invoke` in place of the functions."""

from __future__ import annotations

import base64
import http.client
import json
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from localcloud.apigateway.authorizers.sigv4 import SigV4Verifier
from localcloud.apigateway.gateway import ApiGateway
from localcloud.apigateway.routes import RouteTable
from localcloud.emulator.process import PortInUseError, free_port
from localcloud.model import (
    CognitoAuthorizer,
    InvocationResult,
    RestApiSettings,
    Route,
    TemplateError,
)

Behaviour = Callable[[dict[str, Any]], InvocationResult]
UPLOADS_API = RestApiSettings("k3x9p2m7q1", ("image/png", "audio/*"))
TRACE_HEADER = re.compile(r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$")

ROUTES = [
    Route("GET", "/pets", "ListPets", "NONE"),
    Route("POST", "/pets", "AddPet", "NONE"),
    Route("GET", "/pets/{petId}", "GetPet", "NONE"),
    Route("GET", "/pets/mine", "MyPets", "NONE"),
    Route("ANY", "/things/{thingId}", "AnyThing", "NONE"),
    Route("DELETE", "/things/{thingId}", "DeleteThing", "NONE"),
    Route("GET", "/files/{proxy+}", "Files", "NONE"),
    Route("GET", "/result", "Result", "NONE"),
    Route("POST", "/uploads", "Upload", "NONE", api=UPLOADS_API),
]

SAM_AWS_PROXY_KEYS = {
    "body",
    "resource",
    "path",
    "httpMethod",
    "isBase64Encoded",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "headers",
    "multiValueHeaders",
    "requestContext",
}
SAM_REQUEST_CONTEXT_KEYS = {
    "accountId",
    "resourceId",
    "stage",
    "requestId",
    "requestTime",
    "requestTimeEpoch",
    "identity",
    "path",
    "resourcePath",
    "httpMethod",
    "apiId",
    "protocol",
}
SAM_IDENTITY_KEYS = {
    "cognitoIdentityPoolId",
    "accountId",
    "cognitoIdentityId",
    "caller",
    "accessKey",
    "sourceIp",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
    "userArn",
    "userAgent",
    "user",
}


def echo(event: dict[str, Any]) -> InvocationResult:
    return InvocationResult(ok=True, payload={"statusCode": 200, "body": json.dumps(event)})


class FakeFunctions:
    """Stands in for the invoker: records each event; echoes it back unless told otherwise."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.traces: list[str] = []
        self.behaviour: dict[str, Behaviour] = {}

    def __call__(self, function: str, event: dict[str, Any], trace: str) -> InvocationResult:
        self.events.append((function, event))
        self.traces.append(trace)
        return self.behaviour.get(function, echo)(event)

    def returning(self, function: str, payload: object) -> None:
        self.returning_result(function, InvocationResult(ok=True, payload=payload))

    def returning_result(self, function: str, result: InvocationResult) -> None:
        self.behaviour[function] = lambda _event: result


def make_gateway(functions: FakeFunctions, **overrides: Any) -> ApiGateway:
    routes = overrides.pop("routes", ROUTES)
    settings: dict[str, Any] = {
        "stage": "Prod",
        "region": "us-east-1",
        "account_id": "123456789012",
        "cognito": None,
        "sigv4": SigV4Verifier({"test": "test"}, "us-east-1", "123456789012"),
        "port": free_port(),
        **overrides,
    }
    return ApiGateway(routes, functions, **settings)


@pytest.fixture(scope="module")
def functions() -> FakeFunctions:
    return FakeFunctions()


@pytest.fixture(scope="module")
def gateway(functions: FakeFunctions) -> Iterator[ApiGateway]:
    pages = {"/openapi.json": lambda: (200, {"Content-Type": "application/json"}, b'{"openapi":1}')}
    started = make_gateway(functions, local_pages=pages)
    started.start()
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def fresh_functions(functions: FakeFunctions) -> None:
    functions.events.clear()
    functions.traces.clear()
    functions.behaviour.clear()


def served_by(gateway: ApiGateway, functions: FakeFunctions, method: str, path: str) -> str:
    response = requests.request(method, gateway.url + path, timeout=5)
    assert response.status_code == 200, response.text
    return functions.events[-1][0]


# ---------------------------------------------------------------- route matching


def test_literal_segment_beats_parameter_which_beats_greedy_proxy() -> None:
    table = RouteTable(
        [
            Route("GET", "/{proxy+}", "Greedy", "NONE"),
            Route("GET", "/pets/{petId}", "Param", "NONE"),
            Route("GET", "/pets/mine", "Literal", "NONE"),
        ]
    )

    def function_for(path: str) -> str | None:
        found = table.match("GET", [part for part in path.split("/") if part])
        return found[0].route.function if found else None

    assert function_for("/pets/mine") == "Literal"
    assert function_for("/pets/7") == "Param"
    assert function_for("/pets/7/toys") == "Greedy"
    assert function_for("/") is None


def test_an_exact_method_beats_any_and_any_takes_every_other_method(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    assert served_by(gateway, functions, "DELETE", "/things/1") == "DeleteThing"
    for method in ("GET", "PUT", "PATCH", "POST"):
        assert served_by(gateway, functions, method, "/things/1") == "AnyThing"


def test_greedy_proxy_binds_the_rest_of_the_path(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    requests.get(gateway.url + "/files/a/b%20c/d.txt", timeout=5)

    function, event = functions.events[-1]
    assert function == "Files"
    assert event["pathParameters"] == {"proxy": "a/b c/d.txt"}
    assert event["resource"] == "/files/{proxy+}"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nowhere"), ("DELETE", "/pets"), ("GET", "/files"), ("GET", "/pets/1/2")],
)
def test_unknown_path_or_method_answers_missing_authentication_token(
    gateway: ApiGateway, functions: FakeFunctions, method: str, path: str
) -> None:
    response = requests.request(method, gateway.url + path, timeout=5)

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert functions.events == []


def test_a_greedy_proxy_that_is_not_last_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="must be last"):
        RouteTable([Route("GET", "/{proxy+}/x", "F", "NONE")])


def test_a_cognito_route_without_a_verifier_is_a_template_error() -> None:
    route = Route("GET", "/me", "Me", "COGNITO", CognitoAuthorizer("Auth", ("arn:pool",)))

    with pytest.raises(TemplateError, match="GET /me"):
        make_gateway(FakeFunctions(), routes=[route])


# ---------------------------------------------------------------- the proxy event


def test_event_has_the_shape_of_the_sam_aws_proxy_event(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    requests.post(gateway.url + "/pets", json={"name": "Rex"}, timeout=5)

    function, event = functions.events[-1]
    assert function == "AddPet"
    assert set(event) == SAM_AWS_PROXY_KEYS
    assert set(event["requestContext"]) >= SAM_REQUEST_CONTEXT_KEYS
    assert set(event["requestContext"]["identity"]) >= SAM_IDENTITY_KEYS
    assert event["resource"] == "/pets"
    assert event["path"] == "/pets"
    assert event["httpMethod"] == "POST"
    assert json.loads(event["body"]) == {"name": "Rex"}
    assert event["isBase64Encoded"] is False
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    context = event["requestContext"]
    assert context["path"] == "/Prod/pets"
    assert context["stage"] == "Prod"
    assert context["accountId"] == "123456789012"
    assert context["resourcePath"] == "/pets"
    assert context["httpMethod"] == "POST"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == event["headers"]["User-Agent"]
    assert "authorizer" not in context


def test_path_parameters_arrive_url_decoded(gateway: ApiGateway, functions: FakeFunctions) -> None:
    requests.get(gateway.url + "/pets/caf%C3%A9%20%2F%201", timeout=5)

    function, event = functions.events[-1]
    assert function == "GetPet"
    assert event["pathParameters"] == {"petId": "café / 1"}


def test_repeated_query_parameters_and_headers_arrive_last_and_all(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", int(gateway.url.rsplit(":", 1)[1]))
    connection.putrequest("GET", "/pets?status=sold&status=available&q=a+b%26c&empty")
    connection.putheader("X-Tag", "one")
    connection.putheader("X-Tag", "two")
    connection.endheaders()
    assert connection.getresponse().status == 200
    connection.close()

    _, event = functions.events[-1]
    assert event["queryStringParameters"] == {"status": "available", "q": "a b&c", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {
        "status": ["sold", "available"],
        "q": ["a b&c"],
        "empty": [""],
    }
    assert event["headers"]["X-Tag"] == "two"
    assert event["multiValueHeaders"]["X-Tag"] == ["one", "two"]


def test_absent_query_string_and_body_arrive_as_none(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    requests.get(gateway.url + "/pets", timeout=5)

    _, event = functions.events[-1]
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] is None


@pytest.mark.parametrize("content_type", ["image/png", "IMAGE/PNG; q=1", "audio/ogg"])
def test_a_body_of_a_binary_media_type_the_api_lists_arrives_base64_encoded(
    gateway: ApiGateway, functions: FakeFunctions, content_type: str
) -> None:
    payload = b"plain ascii, still binary by its type"

    requests.post(
        gateway.url + "/uploads", data=payload, headers={"Content-Type": content_type}, timeout=5
    )

    _, event = functions.events[-1]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload


def test_a_body_of_a_type_the_api_does_not_list_arrives_as_text_even_if_not_utf8(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    payload = b"caf\xc3\xa9 \xff"

    requests.post(
        gateway.url + "/uploads", data=payload, headers={"Content-Type": "image/gif"}, timeout=5
    )

    _, event = functions.events[-1]
    assert event["isBase64Encoded"] is False
    assert event["body"] == "café \ufffd"


def test_an_api_listing_any_type_base64_encodes_every_body(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    routes = [Route("POST", "/any", "Any", "NONE", api=RestApiSettings("id", ("*/*",)))]
    any_type = make_gateway(functions, routes=routes)
    any_type.start()
    try:
        requests.post(any_type.url + "/any", json={"a": 1}, timeout=5)
    finally:
        any_type.stop()

    _, event = functions.events[-1]
    assert event["isBase64Encoded"] is True
    assert json.loads(base64.b64decode(event["body"])) == {"a": 1}


def test_event_carries_the_headers_api_gateway_adds_in_both_header_views(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    port = gateway.url.rsplit(":", 1)[1]

    requests.get(gateway.url + "/pets", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=5)

    _, event = functions.events[-1]
    headers, multi = event["headers"], event["multiValueHeaders"]
    assert headers["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    assert headers["X-Forwarded-Port"] == port
    assert headers["X-Forwarded-Proto"] == "http"
    assert TRACE_HEADER.match(headers["X-Amzn-Trace-Id"])
    for name in ("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Amzn-Trace-Id"):
        assert multi[name] == [headers[name]]


def test_the_function_is_invoked_with_the_trace_id_the_event_carries(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    requests.get(gateway.url + "/pets", timeout=5)
    requests.get(gateway.url + "/pets", timeout=5)

    traces = [event["headers"]["X-Amzn-Trace-Id"] for _, event in functions.events]
    assert traces == functions.traces
    assert traces[0] != traces[1]


def test_a_callers_trace_root_is_kept(gateway: ApiGateway, functions: FakeFunctions) -> None:
    root = "1-5759e988-bd862e3fe1be46a994272793"
    sent = f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1"

    requests.get(gateway.url + "/pets", headers={"X-Amzn-Trace-Id": sent}, timeout=5)

    _, event = functions.events[-1]
    assert event["headers"]["X-Amzn-Trace-Id"] == f"Root={root}"
    assert event["multiValueHeaders"]["X-Amzn-Trace-Id"] == [f"Root={root}"]


def test_request_context_names_the_routes_api_and_the_domain_it_was_reached_on(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    requests.post(
        gateway.url + "/uploads", data=b"x", headers={"Host": "pets.example.com:3000"}, timeout=5
    )
    requests.get(gateway.url + "/pets", timeout=5)

    (_, upload), (_, pets) = functions.events
    assert upload["requestContext"]["apiId"] == "k3x9p2m7q1"
    assert upload["requestContext"]["domainName"] == "pets.example.com:3000"
    assert upload["requestContext"]["domainPrefix"] == "pets"
    assert pets["requestContext"]["apiId"] == "1234567890"
    assert pets["requestContext"]["domainName"] == gateway.url.removeprefix("http://")
    assert pets["requestContext"]["domainPrefix"] == "127"


# ---------------------------------------------------------------- the response


def test_result_headers_multi_value_headers_and_base64_body_become_the_response(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    functions.returning(
        "Result",
        {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png", "X-Single": "1", "X-Both": "ignored"},
            "multiValueHeaders": {"X-Both": ["a", "b"]},
            "body": base64.b64encode(b"\x89PNG\x00").decode(),
            "isBase64Encoded": True,
        },
    )

    response = requests.get(gateway.url + "/result", timeout=5)

    assert response.status_code == 201
    assert response.content == b"\x89PNG\x00"
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Single"] == "1"
    assert response.raw.headers.getlist("X-Both") == ["a", "b"]


def test_every_response_has_a_request_id_and_json_content_type_by_default(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    functions.returning("Result", {"statusCode": 200, "body": '{"ok": true}'})

    response = requests.get(gateway.url + "/result", timeout=5)

    _, event = functions.events[-1]
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-RequestId"] == event["requestContext"]["requestId"]
    assert response.json() == {"ok": True}
    refused = requests.get(gateway.url + "/nowhere", timeout=5)
    assert refused.headers["Content-Type"] == "application/json"
    assert refused.headers["x-amzn-RequestId"]


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "just a string",
        {"body": "no status"},
        {"statusCode": "200", "body": ""},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "body": "", "unexpected": 1},
        {"statusCode": 200, "body": "!!", "isBase64Encoded": True},
        {"statusCode": 200, "headers": {"X-Bad": "a\r\nInjected: 1"}},
        {"statusCode": 200, "multiValueHeaders": {"X-Bad": "not a list"}},
    ],
)
def test_a_malformed_result_answers_502(
    gateway: ApiGateway, functions: FakeFunctions, payload: object
) -> None:
    functions.returning("Result", payload)

    response = requests.get(gateway.url + "/result", timeout=5)

    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_a_handler_error_or_timeout_answers_502(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    for error_type in ("ValueError", "Timeout", "WorkerCrashed"):
        failure = InvocationResult(ok=False, error_type=error_type, error_message="boom")
        functions.returning_result("Result", failure)
        response = requests.get(gateway.url + "/result", timeout=5)
        assert response.status_code == 502
        assert response.json() == {"message": "Internal server error"}


def test_an_invoker_that_raises_answers_502(gateway: ApiGateway, functions: FakeFunctions) -> None:
    def explode(_event: dict[str, Any]) -> InvocationResult:
        raise RuntimeError("the invoker broke")

    functions.behaviour["Result"] = explode

    response = requests.get(gateway.url + "/result", timeout=5)

    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


# ---------------------------------------------------------------- HTTP


def test_a_body_over_10_mb_answers_413_without_reaching_the_function(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    response = requests.post(gateway.url + "/pets", data=b"x" * (11 * 1024 * 1024), timeout=30)

    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
    assert functions.events == []


def test_a_client_expecting_100_continue_gets_413_before_sending_the_body(
    gateway: ApiGateway,
) -> None:
    with socket.create_connection(("127.0.0.1", int(gateway.url.rsplit(":", 1)[1]))) as client:
        client.sendall(
            b"POST /pets HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        client.settimeout(5)
        answer = client.recv(4096)

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert answer.endswith(b'{"message":"Request Too Long"}')


@pytest.mark.parametrize("target", ["/pets/%zz", "/pets/%E", "/pets/%ff", "/pets?name=%G1"])
def test_bad_percent_encoding_answers_400(
    gateway: ApiGateway, functions: FakeFunctions, target: str
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", int(gateway.url.rsplit(":", 1)[1]))
    connection.request("GET", target)
    response = connection.getresponse()

    assert response.status == 400
    assert json.loads(response.read()) == {"message": "Bad Request"}
    assert functions.events == []
    connection.close()


def test_unreadable_http_gets_a_json_answer_not_a_dropped_connection(gateway: ApiGateway) -> None:
    with socket.create_connection(("127.0.0.1", int(gateway.url.rsplit(":", 1)[1]))) as client:
        client.sendall(b"this is not http\r\n\r\n")
        client.settimeout(5)
        answer = client.recv(4096)

    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b'{"message":' in answer


def test_one_keep_alive_connection_serves_many_requests(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", int(gateway.url.rsplit(":", 1)[1]))
    for index in range(5):
        connection.request("GET", f"/pets/{index}")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
    connection.close()

    assert [event["pathParameters"]["petId"] for _, event in functions.events] == list("01234")


def test_local_pages_are_served_before_routing(
    gateway: ApiGateway, functions: FakeFunctions
) -> None:
    response = requests.get(gateway.url + "/openapi.json", timeout=5)

    assert response.status_code == 200
    assert response.json() == {"openapi": 1}
    assert functions.events == []


def test_a_taken_port_raises_port_in_use_error_naming_it() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        taken = make_gateway(FakeFunctions(), port=port)

        with pytest.raises(PortInUseError, match=f"127.0.0.1:{port}"):
            taken.start()


def test_stop_frees_the_port_even_with_an_idle_keep_alive_connection() -> None:
    port = free_port()
    first = make_gateway(FakeFunctions(), port=port)
    first.start()
    session = requests.Session()
    assert session.get(first.url + "/pets", timeout=5).status_code == 200

    first.stop()
    second = make_gateway(FakeFunctions(), port=port)
    second.start()
    try:
        assert requests.get(second.url + "/pets", timeout=5).status_code == 200
    finally:
        second.stop()
        session.close()
