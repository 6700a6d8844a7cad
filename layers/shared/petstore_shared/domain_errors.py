"""Errors the services' logic raises. They say what went wrong in domain terms;
`petstore_shared.http_errors` decides what each one means over HTTP."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """Base of every expected failure; `code` is the stable, machine-readable name."""

    default_code: ClassVar[str] = "DomainError"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field


class NotFound(DomainError):
    default_code = "NotFound"


class Conflict(DomainError):
    """The request clashes with the current state (a stale version, too little stock, ...)."""

    default_code = "Conflict"


class Forbidden(DomainError):
    default_code = "Forbidden"


class Unauthorized(DomainError):
    """No caller identity where one is required."""

    default_code = "Unauthorized"


class ValidationError(DomainError):
    """Input that passed the schema but is still unusable (e.g. a tampered page token)."""

    default_code = "InvalidRequest"


class PayloadTooLarge(DomainError):
    default_code = "PayloadTooLarge"


class UnsupportedMediaType(DomainError):
    default_code = "UnsupportedMediaType"
