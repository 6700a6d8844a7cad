"""Every error a service's API returns, in one JSON shape:

    {"error": {"code": "<Code>", "message": "<human text>", "field": "<field or null>"}}

Domain errors map to their status; request validation errors name the offending field
("price.amount", "tags[2]", "limit") and list every problem of the request in
`problems`, the most telling first; a body that is not JSON is 400 "MalformedJson"; an
unknown field is 422 "UnknownField". Nothing a client sends produces a 5xx. A data store
that cannot be reached, times out or throttles is 503 "ServiceUnavailable" with Retry-After:
the request may succeed when repeated, unlike a 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from petstore_shared.domain_errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    ValidationError,
)
from petstore_shared.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

STATUS_BY_DOMAIN_ERROR: Mapping[type, HTTPStatus] = {
    ValidationError: HTTPStatus.BAD_REQUEST,
    Unauthorized: HTTPStatus.UNAUTHORIZED,
    Forbidden: HTTPStatus.FORBIDDEN,
    NotFound: HTTPStatus.NOT_FOUND,
    Conflict: HTTPStatus.CONFLICT,
    PayloadTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    UnsupportedMediaType: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
}

_CODE_BY_PYDANTIC_ERROR_TYPE = {"missing": "MissingField", "extra_forbidden": "UnknownField"}

RETRY_AFTER_S = 2
"""Seconds a client is asked to wait before repeating a request the store could not serve."""
STORE_BUSY_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "ThrottlingException",
        "Throttling",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
"""AWS error codes that mean "busy, try again", once the client's own retries ran out."""


class Problem(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorDetail(Problem):
    problems: list[Problem] | None = Field(
        default=None,
        description="Every problem of a request that failed validation (422), one per "
        "field; absent on other errors.",
    )


class ErrorResponse(BaseModel):
    error: ErrorDetail


def error_response(
    status: HTTPStatus,
    code: str,
    message: str,
    field: str | None = None,
    problems: list[Problem] | None = None,
) -> Response:
    body = ErrorResponse(
        error=ErrorDetail(code=code, message=message, field=field, problems=problems)
    )
    omitted = {"error": {"problems"}} if problems is None else None
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump_json(exclude=omitted),
    )


def status_of(error: DomainError) -> HTTPStatus:
    for error_class in type(error).__mro__:
        if error_class in STATUS_BY_DOMAIN_ERROR:
            return STATUS_BY_DOMAIN_ERROR[error_class]
    return HTTPStatus.BAD_REQUEST


def domain_error_response(error: DomainError) -> Response:
    return error_response(status_of(error), error.code, error.message, error.field)


def request_validation_error_response(error: RequestValidationError) -> Response:
    details: Sequence[Mapping[str, Any]] = error.errors()
    if any(_is_response_error(detail) for detail in details):
        # Powertools reports a handler returning the wrong shape as a request validation
        # error; it is our bug, not the client's.
        logger.error("Response failed validation", extra={"errors": _loggable(details)})
        return internal_error_response()
    if any(detail.get("type") == "json_invalid" for detail in details):
        return malformed_json_response()
    problems = [_problem(detail) for detail in _most_telling_first(details)]
    first = problems[0] if problems else Problem(code="InvalidBody", message="Invalid request")
    message = first.message if len(problems) < 2 else "; ".join(p.message for p in problems)
    return error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY, first.code, message, first.field, problems
    )


def _problem(detail: Mapping[str, Any]) -> Problem:
    field = field_path(detail.get("loc", ()))
    error_type = str(detail.get("type", ""))
    code = _CODE_BY_PYDANTIC_ERROR_TYPE.get(error_type, "InvalidField" if field else "InvalidBody")
    return Problem(code=code, message=_describe(detail, field), field=field)


def field_path(location: Sequence[str | int]) -> str | None:
    """("body", "price", "amount") -> "price.amount"; ("body", "tags", 2) -> "tags[2]"."""
    path = ""
    for part in location[1:]:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or None


def malformed_json_response(_error: Exception | None = None) -> Response:
    return error_response(
        HTTPStatus.BAD_REQUEST, "MalformedJson", "The request body is not valid JSON."
    )


def service_error_response(error: ServiceError) -> Response:
    status = HTTPStatus(error.status_code)
    return error_response(status, status.phrase.title().replace(" ", ""), str(error.msg))


def internal_error_response() -> Response:
    return error_response(
        HTTPStatus.INTERNAL_SERVER_ERROR, "InternalError", "Something went wrong on our side."
    )


def service_unavailable_response() -> Response:
    response = error_response(
        HTTPStatus.SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        "The service cannot reach its data store right now; try again shortly.",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def unexpected_error_response(error: Exception) -> Response:
    if is_store_unavailable(error):
        logger.warning("Data store unavailable", extra={"error": repr(error)})
        return service_unavailable_response()
    logger.exception("Unhandled error")
    return internal_error_response()


def is_store_unavailable(error: BaseException) -> bool:
    """True when `error`, or what caused it, says an AWS service could not be reached,
    did not answer in time or throttled the call, once the client's retries ran out."""
    # Imported here: the clients load botocore lazily, and only this error path needs
    # its exception classes.
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionError | HTTPClientError):
            return True
        if isinstance(current, ClientError):
            return current.response.get("Error", {}).get("Code", "") in STORE_BUSY_ERROR_CODES
        current = current.__cause__ or current.__context__
    return False


def route_not_found_response(error: NotFoundError) -> Response:
    return error_response(HTTPStatus.NOT_FOUND, "RouteNotFound", "No such route.")


def register_error_responses(app: APIGatewayRestResolver) -> None:
    app.exception_handler(DomainError)(domain_error_response)
    app.exception_handler(RequestValidationError)(request_validation_error_response)
    app.exception_handler(ServiceError)(service_error_response)
    # A body that is not UTF-8 cannot be JSON; Powertools fails while decoding it.
    app.exception_handler(UnicodeDecodeError)(malformed_json_response)
    app.exception_handler(Exception)(unexpected_error_response)
    app.not_found(route_not_found_response)


def documented_errors(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` entries for the errors a route can return, in the shared shape."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {content_types.APPLICATION_JSON: {"model": ErrorResponse}},
        }
        for status in statuses
    }


def _most_telling_first(details: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Unknown fields first: a misspelt name also shows up as the real one missing."""
    unknown = [detail for detail in details if detail.get("type") == "extra_forbidden"]
    return unknown + [detail for detail in details if detail.get("type") != "extra_forbidden"]


def _is_response_error(detail: Mapping[str, Any]) -> bool:
    location: Sequence[Any] = detail.get("loc") or ()
    return bool(location) and location[0] == "response"


def _describe(detail: Mapping[str, Any], field: str | None) -> str:
    if detail.get("type") == "extra_forbidden":
        return f"Unknown field '{field}'."
    message = str(detail.get("msg") or "Invalid value")
    return f"{field}: {message}" if field else message


def _loggable(details: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"loc": detail.get("loc"), "type": detail.get("type")} for detail in details]
