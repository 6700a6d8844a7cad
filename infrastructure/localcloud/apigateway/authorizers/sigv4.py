"""The AWS_IAM authorizer: AWS Signature Version 4 for service `execute-api`."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from localcloud.apigateway.authorizers.rejections import (
    AuthRejected,
    Headers,
    header_value,
    missing_authentication_token,
)

SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4_SERVICE = "execute-api"
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
ALLOWED_CLOCK_SKEW = timedelta(minutes=15)


@dataclass(frozen=True)
class SignedRequest:
    """What the client put in its Authorization header."""

    access_key: str
    scope_date: str
    scope_region: str
    scope_service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str


class _ReceivedRequestSigner(SigV4Auth):
    """botocore's SigV4 signer, fed with exactly the headers the client says it signed."""

    def __init__(self, credentials: Credentials, region: str, signed: HTTPHeaders) -> None:
        super().__init__(credentials, SIGV4_SERVICE, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return self._signed


class SigV4Verifier:
    """Verifies AWS Signature Version 4 (service `execute-api`) as an AWS_IAM method does."""

    def __init__(self, credentials: dict[str, str], region: str, account_id: str) -> None:
        self._credentials = dict(credentials)
        self._region = region
        self._account_id = account_id

    def verify(
        self,
        method: str,
        target: str,
        headers: Headers,
        body: bytes,
        now: datetime | None = None,
    ) -> dict[str, str]:
        """`requestContext.identity` fields of the signer, or AuthRejected 403.

        `target` is the request target exactly as received (percent-encoded path and query).
        """
        headers = list(headers)
        authorization = header_value(headers, "Authorization")
        if authorization is None:
            raise missing_authentication_token()
        signed = _parse_authorization(authorization, header_value(headers, "X-Amz-Date"))
        secret = self._credentials.get(signed.access_key)
        if secret is None:
            raise AuthRejected(
                403,
                "The security token included in the request is invalid.",
                "UnrecognizedClientException",
            )
        self._check_scope(signed, now or datetime.now(UTC))
        request = AWSRequest(method=method, url=f"http://localhost{target}", data=body)
        request.headers = _signed_header_values(headers, signed.signed_headers)
        request.context["timestamp"] = signed.amz_date
        signer = _ReceivedRequestSigner(
            Credentials(signed.access_key, secret), self._region, request.headers
        )
        _check_signature(signer, request, signed.signature, body)
        return self._identity(signed.access_key)

    def _check_scope(self, signed: SignedRequest, now: datetime) -> None:
        amz_date = signed.amz_date
        try:
            signed_at = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError as error:
            raise _incomplete_signature(
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. "
                "See http://en.wikipedia.org/wiki/ISO_8601"
            ) from error
        if signed.scope_service != SIGV4_SERVICE:
            raise _incomplete_signature(
                f"Credential should be scoped to correct service: '{SIGV4_SERVICE}'. "
            )
        if signed.scope_region != self._region:
            raise _incomplete_signature("Credential should be scoped to a valid region. ")
        if signed.scope_date != amz_date[:8]:
            raise _incomplete_signature(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{signed.scope_date}' != '{amz_date[:8]}', from '{amz_date}'."
            )
        _check_clock_skew(signed_at, now)

    def _identity(self, access_key: str) -> dict[str, str]:
        principal_id = "AIDA" + hashlib.sha256(access_key.encode()).hexdigest()[:17].upper()
        return {
            "accessKey": access_key,
            "accountId": self._account_id,
            "caller": principal_id,
            "user": principal_id,
            "userArn": f"arn:aws:iam::{self._account_id}:user/local",
        }


def _check_signature(
    signer: _ReceivedRequestSigner, request: AWSRequest, signature: str, body: bytes
) -> None:
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    expected = signer.signature(string_to_sign, request)
    declared_hash = request.headers.get("X-Amz-Content-SHA256")
    body_matches = declared_hash is None or declared_hash == hashlib.sha256(body).hexdigest()
    if body_matches and hmac.compare_digest(expected, signature):
        return
    raise AuthRejected(
        403,
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.\n\nThe Canonical String for this request should have "
        f"been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n",
        "InvalidSignatureException",
    )


def _incomplete_signature(message: str) -> AuthRejected:
    return AuthRejected(403, message, "IncompleteSignatureException")


def _parse_authorization(authorization: str, amz_date: str | None) -> SignedRequest:
    algorithm, _, rest = authorization.strip().partition(" ")
    params: dict[str, str] = {}
    if algorithm == SIGV4_ALGORITHM:
        for part in rest.split(","):
            name, equals, value = part.strip().partition("=")
            if equals:
                params[name] = value
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if amz_date is None:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    credential = params.get("Credential", "").split("/")
    if not problems and (len(credential) != 5 or credential[4] != "aws4_request"):
        problems.append(
            f"Credential should be scoped with a valid terminator: 'aws4_request', "
            f"not '{credential[-1]}'."
        )
    if problems:
        raise _incomplete_signature(" ".join([*problems, f"Authorization={authorization}"]))
    return SignedRequest(
        access_key=credential[0],
        scope_date=credential[1],
        scope_region=credential[2],
        scope_service=credential[3],
        signed_headers=tuple(params["SignedHeaders"].lower().split(";")),
        signature=params["Signature"],
        amz_date=amz_date or "",
    )


def _signed_header_values(headers: list[tuple[str, str]], names: tuple[str, ...]) -> HTTPHeaders:
    wanted = set(names)
    signed = HTTPHeaders()
    for name, value in headers:
        if name.lower() in wanted:
            signed[name.lower()] = value
    return signed


def _check_clock_skew(signed_at: datetime, now: datetime) -> None:
    stamp = signed_at.strftime(SIGV4_TIMESTAMP)
    if signed_at < now - ALLOWED_CLOCK_SKEW:
        earliest = (now - ALLOWED_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP)
        raise AuthRejected(
            403,
            f"Signature expired: {stamp} is now earlier than {earliest} "
            f"({now.strftime(SIGV4_TIMESTAMP)} - 15 min.)",
            "InvalidSignatureException",
        )
    if signed_at > now + ALLOWED_CLOCK_SKEW:
        latest = (now + ALLOWED_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP)
        raise AuthRejected(
            403,
            f"Signature not yet current: {stamp} is still later than {latest} "
            f"({now.strftime(SIGV4_TIMESTAMP)} + 15 min.)",
            "InvalidSignatureException",
        )


def sign_request(
    method: str,
    url: str,
    body: bytes | str | None,
    headers: Mapping[str, str],
    *,
    access_key: str,
    secret_key: str,
    region: str,
    session_token: str | None = None,
) -> dict[str, str]:
    """The headers to send (the given ones plus X-Amz-Date, Authorization and, with a
    session token, X-Amz-Security-Token) for a SigV4-signed `execute-api` request."""
    request = AWSRequest(
        method=method.upper(),
        url=requests.utils.requote_uri(url),
        headers=dict(headers),
        data=body.encode() if isinstance(body, str) else body or b"",
    )
    SigV4Auth(Credentials(access_key, secret_key, session_token), SIGV4_SERVICE, region).add_auth(
        request
    )
    return dict(request.headers.items())
