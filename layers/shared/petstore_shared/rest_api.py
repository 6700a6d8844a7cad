"""The REST API (v1) resolver every HTTP handler starts from: request validation on,
bodies parsed by `parse_json_body`, every error in the shared JSON shape."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from petstore_shared.http_errors import register_error_responses
from petstore_shared.json_body import parse_json_body


def create_rest_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=parse_json_body)
    register_error_responses(app)
    return app
