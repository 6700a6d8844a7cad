"""How an authorizer turns a request away: the status, message and error type API Gateway
answers with, and the gateway response type that shapes the answer."""

from __future__ import annotations

from collections.abc import Iterable

from localcloud.apigateway.responses import GatewayError, missing_route

Headers = Iterable[tuple[str, str]]

RESPONSE_TYPE_BY_ERROR_TYPE = {
    "UnauthorizedException": "UNAUTHORIZED",
    "MissingAuthenticationTokenException": "MISSING_AUTHENTICATION_TOKEN",
    "InvalidSignatureException": "INVALID_SIGNATURE",
    "IncompleteSignatureException": "INVALID_SIGNATURE",
    "AccessDeniedException": "ACCESS_DENIED",
}
"""The gateway response type of each rejection; any other is a DEFAULT_4XX."""


class AuthRejected(Exception):
    """The request does not pass the route's authorizer; API Gateway answers with
    `status`, the message and the `x-amzn-ErrorType` header `error_type`, through the
    gateway response of the rejection's type."""

    def __init__(self, status: int, message: str, error_type: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type

    @property
    def error(self) -> GatewayError:
        response_type = RESPONSE_TYPE_BY_ERROR_TYPE.get(self.error_type, "DEFAULT_4XX")
        return GatewayError(response_type, self.status, self.message, self.error_type)


def unauthorized() -> AuthRejected:
    return AuthRejected(401, "Unauthorized", "UnauthorizedException")


def missing_authentication_token() -> AuthRejected:
    error = missing_route()
    return AuthRejected(error.status, error.message, error.error_type)


def header_value(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)
