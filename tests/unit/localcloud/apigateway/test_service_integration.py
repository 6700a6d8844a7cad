"""REST API service integrations (`type: aws`) as the API's definition gives them: SQS by
path, with request parameters, mapping templates (the VTL subset rendered locally) and
integration responses; what the local API cannot do is refused naming it."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.apigateway.mapping_templates import TemplateInput, render
from localcloud.apigateway.service_integration import service_integration
from localcloud.model import TemplateError

SQS_URI = "arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders"


def integration(**overrides: Any) -> dict[str, Any]:
    return {"type": "aws", "httpMethod": "POST", "uri": SQS_URI, **overrides}


def test_an_sqs_integration_by_path_is_read_with_its_templates_and_responses() -> None:
    read = service_integration(
        "POST /orders",
        integration(
            requestParameters={"integration.request.header.Content-Type": "'text/plain'"},
            requestTemplates={"application/json": "MessageBody=$util.urlEncode($input.body)"},
            passthroughBehavior="never",
            responses={"default": {"statusCode": "202"}},
        ),
    )

    assert (read.service, read.path, read.passthrough_behavior) == (
        "sqs",
        "123456789012/orders",
        "NEVER",
    )
    assert read.request_parameters == (("integration.request.header.Content-Type", "'text/plain'"),)
    [(pattern, response)] = read.responses
    assert (pattern, response.status) == ("default", 202)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"uri": "arn:aws:apigateway:us-east-1:sqs:action/SendMessage"}, "by path"),
        ({"uri": "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem"}, "by path"),
        ({"requestTemplates": {"application/json": "#set($b = $input.body)$b"}}, "'#set'"),
        ({"requestTemplates": {"application/json": "$util.parseJson($input.body)"}}, "parseJson"),
        ({"requestTemplates": {"application/json": "$input.path('$.items[0]')"}}, "JSONPath"),
        ({"requestParameters": {"integration.request.path.id": "'x'"}}, "request parameter"),
        ({"passthroughBehavior": "sometimes"}, "passthroughBehavior"),
    ],
)
def test_what_the_local_api_cannot_do_is_refused_naming_it(
    overrides: dict[str, Any], named: str
) -> None:
    with pytest.raises(TemplateError, match=named.replace("(", r"\(").replace("[", r"\[")):
        service_integration("POST /orders", integration(**overrides))


def test_a_request_template_renders_the_body_parameters_and_context() -> None:
    given = TemplateInput(
        '{"text": "a & b"}',
        path_parameters={"id": "o-1"},
        query=[("channel", "web")],
        headers=[("X-Source", "app")],
        context={"requestId": "r-1"},
    )
    template = (
        "Body=$util.urlEncode($input.body)&Id=$input.params('id')&C=$input.params('channel')"
        "&S=$input.params('x-source')&R=$context.requestId&T=$input.path('$.text')"
        "&J=$input.json('$.text')&E=$util.escapeJavaScript($input.path('$.text'))"
    )

    assert render(template, given) == (
        'Body=%7B%22text%22%3A+%22a+%26+b%22%7D&Id=o-1&C=web&S=app&R=r-1&T=a & b&J="a & b"&E=a & b'
    )
