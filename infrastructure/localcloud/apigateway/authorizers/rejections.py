"""How an authorizer turns a request away: the status, message and error type API Gateway
answers with."""

from __future__ import annotations

from collections.abc import Iterable

Headers = Iterable[tuple[str, str]]


class AuthRejected(Exception):
    """The request does not pass the route's authorizer; API Gateway answers with
    `status`, `{"message": message}` and the `x-amzn-ErrorType` header `error_type`."""

    def __init__(self, status: int, message: str, error_type: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type


def unauthorized() -> AuthRejected:
    return AuthRejected(401, "Unauthorized", "UnauthorizedException")


def missing_authentication_token() -> AuthRejected:
    return AuthRejected(403, "Missing Authentication Token", "MissingAuthenticationTokenException")


def header_value(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)
