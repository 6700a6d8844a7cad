"""The REST API (v1) resolver every HTTP handler starts from: the caller checked before
anything of the request is read, request validation on, JSON bodies only (parsed by
`parse_json_body`), every error in the shared JSON shape."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from snapshot_restore_py import register_before_snapshot

from petstore_shared.caller_identity import caller_from_event, require_groups
from petstore_shared.cors import cors_config
from petstore_shared.domain_errors import UnsupportedMediaType
from petstore_shared.http_errors import register_error_responses
from petstore_shared.json_body import parse_json_body
from petstore_shared.openapi_security import groups_required

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Response
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
    from aws_lambda_powertools.event_handler.types import EventHandlerInstance

JSON_MEDIA_TYPE = "application/json"


class CallerFirstRequestValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, which runs before any other middleware and any
    dependency, preceded by the route's caller check: who may call a route is known
    from its declared `security`, so a caller without the right gets 401/403 whatever
    the request holds, and learns nothing from a 422 about a body it may not send.

    A body is read as JSON when its Content-Type is application/json (media types are
    case-insensitive; parameters such as charset are allowed) or absent; any other
    type, a malformed one included, is refused with 415 naming the type to send."""

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response:
        groups = groups_required(app.context["_route"].security)
        if groups is not None:
            require_groups(caller_from_event(app.current_event.raw_event), groups)
        return super().handler(app, next_middleware)

    def _get_body(self, app: EventHandlerInstance) -> Any:
        content_type = app.current_event.headers.get("content-type") or ""
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type not in ("", JSON_MEDIA_TYPE):
            raise UnsupportedMediaType(
                f"Send the request body as JSON with 'Content-Type: {JSON_MEDIA_TYPE}'; "
                f"'{content_type[:100]}' is not accepted.",
                field="Content-Type",
            )
        return self._parse_json_data(app)


def create_rest_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(
        enable_validation=True, json_body_deserializer=parse_json_body, cors=cors_config()
    )
    # Powertools puts this middleware first in every route's stack.
    app._request_validation_middleware = CallerFirstRequestValidation()
    register_error_responses(app)
    register_before_snapshot(prepare_validation, app)
    return app


def prepare_validation(app: APIGatewayRestResolver) -> None:
    """SnapStart priming: each route's validation model, which Powertools builds on the
    route's first request, is built before the snapshot (the routes are registered by
    then), so that no restored environment builds it again."""
    for route in app._static_routes + app._dynamic_routes:
        _ = route.dependant
