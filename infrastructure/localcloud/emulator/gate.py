"""The emulator's door: AWS calls signed with this run's key, the emulator's own addresses
(`/moto-api/`, `/_localcloud/`) with this run's control secret, and what AWS serves to
anyone (Cognito's sign-up and sign-in calls, a user pool's public keys) to everyone.
Anything else gets the error the service answers an unsigned or badly signed call with."""

from __future__ import annotations

import hmac
import io
import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

import botocore.session

from localcloud.emulator.access import CONTROL_SECRET_HEADER, EmulatorAccess
from localcloud.emulator.signatures import ReceivedRequest, SignatureRefused, verify_signature

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
CONTROL_PATHS = ("/moto-api", "/_localcloud/")
DATA_DUMP_PATH = "/moto-api/data.json"
COGNITO_TARGET_PREFIX = "AWSCognitoIdentityProviderService."
ERROR_CODES = {
    # reason: (JSON protocols, query protocol, S3)
    "missing": (
        "MissingAuthenticationTokenException",
        "MissingAuthenticationToken",
        "AccessDenied",
    ),
    "incomplete": (
        "IncompleteSignatureException",
        "IncompleteSignature",
        "AuthorizationHeaderMalformed",
    ),
    "unknown-key": ("UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId"),
    "mismatch": ("InvalidSignatureException", "SignatureDoesNotMatch", "SignatureDoesNotMatch"),
    "expired": ("InvalidSignatureException", "RequestExpired", "AccessDenied"),
}
"""What each protocol calls a refusal; DynamoDB and Cognito answer 400, query and S3 403."""


class OnlyTheLocalCloud:
    def __init__(self, app: WsgiApp, access: EmulatorAccess) -> None:
        self._app = app
        self._control_secret = access.control_secret
        self._secret_keys = {access.access_key_id: access.secret_access_key}

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PATHS):
            return self.control(environ, start_response)
        if _served_to_anyone(environ):
            return self._app(environ, start_response)
        try:
            verify_signature(_received(environ), self._secret_keys)
        except SignatureRefused as refusal:
            return _refuse(environ, start_response, refusal)
        return self._app(environ, start_response)

    def control(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        given = environ.get("HTTP_" + CONTROL_SECRET_HEADER.upper().replace("-", "_"), "")
        if not hmac.compare_digest(given.encode(), self._control_secret.encode()):
            return _answer(
                start_response,
                "403 Forbidden",
                "application/json",
                json.dumps(
                    {"message": f"The local cloud's own address: {CONTROL_SECRET_HEADER} required."}
                ),
            )
        if environ.get("PATH_INFO") == DATA_DUMP_PATH:
            return _without_passwords(self._app, environ, start_response)
        return self._app(environ, start_response)


def _served_to_anyone(environ: dict[str, Any]) -> bool:
    """Cognito's calls that AWS takes unsigned (a user signing up, in, or managing their
    own account with their tokens) and a user pool's public signing keys."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target.startswith(COGNITO_TARGET_PREFIX):
        return target.removeprefix(COGNITO_TARGET_PREFIX) in _cognito_calls_without_signature()
    segments = environ.get("PATH_INFO", "").strip("/").split("/")
    return environ.get("REQUEST_METHOD") == "GET" and segments[1:] == [".well-known", "jwks.json"]


@cache
def _cognito_calls_without_signature() -> frozenset[str]:
    model = botocore.session.get_session().get_service_model("cognito-idp")
    return frozenset(
        name for name in model.operation_names if model.operation_model(name).auth_type == "none"
    )


def _received(environ: dict[str, Any]) -> ReceivedRequest:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    headers = [
        (name[5:].replace("_", "-").lower(), value)
        for name, value in environ.items()
        if name.startswith("HTTP_")
    ]
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers.append((name.replace("_", "-").lower(), environ[name]))
    return ReceivedRequest(environ.get("REQUEST_METHOD", "GET"), _target(environ), headers, body)


def _target(environ: dict[str, Any]) -> str:
    raw = environ.get("REQUEST_URI", "")
    if raw.startswith(("http://", "https://")):
        parts = urlsplit(raw)
        raw = parts.path + (f"?{parts.query}" if parts.query else "")
    if raw:
        return str(raw)
    query = environ.get("QUERY_STRING", "")
    return quote(environ.get("PATH_INFO", "/"), safe="/~") + (f"?{query}" if query else "")


def _refuse(
    environ: dict[str, Any], start_response: Callable[..., Any], refusal: SignatureRefused
) -> Iterable[bytes]:
    json_code, query_code, s3_code = ERROR_CODES[refusal.reason]
    message = refusal.message
    if environ.get("HTTP_X_AMZ_TARGET") or "amz-json" in environ.get("CONTENT_TYPE", ""):
        body = json.dumps({"__type": json_code, "message": message})
        return _answer(
            start_response, "400 Bad Request", "application/x-amz-json-1.0", body, json_code
        )
    status = "400 Bad Request" if refusal.reason == "incomplete" else "403 Forbidden"
    if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", "") or "Action=" in environ.get(
        "QUERY_STRING", ""
    ):
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{query_code}</Code><Message>{escape(message)}</Message>"
            "</Error><RequestId>localcloud</RequestId></ErrorResponse>"
        )
        return _answer(start_response, status, "text/xml", body)
    if environ.get("PATH_INFO", "").startswith("/20"):  # date-versioned REST APIs (Lambda, …)
        body = json.dumps({"__type": json_code, "message": message})
        return _answer(start_response, status, "application/json", body, json_code)
    body = f"<Error><Code>{s3_code}</Code><Message>{escape(message)}</Message></Error>"
    return _answer(start_response, status, "application/xml", body)


def _without_passwords(
    app: WsgiApp, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    answered: list[Any] = []

    def keep(status: str, headers: list[tuple[str, str]], *rest: Any) -> Callable[..., Any]:
        answered.extend([status, headers])
        return lambda _data: None

    dump = json.loads(b"".join(app(environ, keep)) or b"{}")
    return _answer(
        start_response, answered[0], "application/json", json.dumps(_strip_passwords(dump))
    )


def _strip_passwords(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_passwords(v) for k, v in value.items() if "password" not in k.lower()}
    if isinstance(value, list):
        return [_strip_passwords(item) for item in value]
    return value


def _answer(
    start_response: Callable[..., Any],
    status: str,
    content_type: str,
    body: str,
    error_type: str | None = None,
) -> Iterable[bytes]:
    payload = body.encode()
    headers = [("Content-Type", content_type), ("Content-Length", str(len(payload)))]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    start_response(status, headers)
    return [payload]
