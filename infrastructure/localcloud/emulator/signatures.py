"""AWS Signature Version 4 of a request the emulator received, checked as AWS checks it:
the signature is computed again with the secret key of the access key the request names
(in its Authorization header, or in the query string of a pre-signed URL)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from botocore.auth import HmacV1Auth, S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
ALLOWED_CLOCK_SKEW = timedelta(minutes=15)
UNCHECKED_PAYLOADS = ("UNSIGNED-PAYLOAD", "STREAMING-")
"""Declared payload hashes that sign no body (S3's unsigned and chunk-signed uploads)."""


class SignatureRefused(Exception):
    """Why the request is not signed by a known key: `reason` is one of "missing",
    "incomplete", "unknown-key", "mismatch" or "expired"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    target: str
    """The path and query string exactly as received (still percent-encoded)."""
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass(frozen=True)
class _Signature:
    access_key: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str


def verify_signature(
    request: ReceivedRequest, secret_keys: dict[str, str], now: datetime | None = None
) -> str:
    """The service the request is signed for, or SignatureRefused."""
    now = now or datetime.now(UTC)
    query = parse_qs(urlsplit(request.target).query, keep_blank_values=True)
    if "X-Amz-Signature" in query:
        return _verify_presigned(request, query, secret_keys, now)
    if "AWSAccessKeyId" in query:
        return _verify_presigned_v2(request, query, secret_keys, now)
    authorization = request.header("Authorization")
    if authorization is None:
        raise SignatureRefused("missing", "Request is missing Authentication Token")
    signature = _parse_authorization(authorization, request.header("X-Amz-Date"))
    secret = _secret_of(signature, secret_keys)
    _check_clock_skew(_signed_at(signature.amz_date), now)
    signer_class = _S3HeaderSigner if signature.service == "s3" else _HeaderSigner
    aws_request = _aws_request(request, request.target, signature)
    signer = signer_class(
        Credentials(signature.access_key, secret), signature.service, signature.region
    )
    signer.signed = aws_request.headers
    _check(signer, aws_request, signature.signature)
    _check_declared_payload(request)
    return signature.service


def _verify_presigned(
    request: ReceivedRequest,
    query: dict[str, list[str]],
    secret_keys: dict[str, str],
    now: datetime,
) -> str:
    def param(name: str) -> str:
        return query.get(name, [""])[-1]

    credential = param("X-Amz-Credential").split("/")
    if param("X-Amz-Algorithm") != SIGV4_ALGORITHM or len(credential) != 5:
        raise SignatureRefused("incomplete", "Only AWS4-HMAC-SHA256 pre-signed URLs are accepted.")
    signature = _Signature(
        access_key=credential[0],
        region=credential[2],
        service=credential[3],
        signed_headers=tuple(param("X-Amz-SignedHeaders").lower().split(";")),
        signature=param("X-Amz-Signature"),
        amz_date=param("X-Amz-Date"),
    )
    secret = _secret_of(signature, secret_keys)
    expires = timedelta(seconds=int(param("X-Amz-Expires") or 0))
    if now > _signed_at(signature.amz_date) + expires:
        raise SignatureRefused("expired", "Request has expired")
    path, _, raw_query = request.target.partition("?")
    unsigned_query = "&".join(
        part for part in raw_query.split("&") if not part.startswith("X-Amz-Signature=")
    )
    signer_class = _S3QuerySigner if signature.service == "s3" else _QuerySigner
    aws_request = _aws_request(request, f"{path}?{unsigned_query}", signature)
    signer = signer_class(
        Credentials(signature.access_key, secret), signature.service, signature.region
    )
    signer.signed = aws_request.headers
    _check(signer, aws_request, signature.signature)
    return signature.service


def _verify_presigned_v2(
    request: ReceivedRequest,
    query: dict[str, list[str]],
    secret_keys: dict[str, str],
    now: datetime,
) -> str:
    """An S3 URL pre-signed with signature version 2 (what boto3 makes by default)."""
    access_key, expires = query["AWSAccessKeyId"][-1], query.get("Expires", ["0"])[-1]
    secret = secret_keys.get(access_key)
    if secret is None:
        raise SignatureRefused("unknown-key", "The AWS Access Key Id you provided does not exist.")
    if not expires.isdigit() or now.timestamp() > int(expires):
        raise SignatureRefused("expired", "Request has expired")
    headers = HTTPHeaders()
    for name, value in request.headers:
        headers[name] = value
    signer = _V2Signer(Credentials(access_key, secret), expires)
    expected = signer.get_signature(
        request.method,
        urlsplit(request.target),
        headers,  # type: ignore[arg-type]  # botocore reads it as its own case-blind headers
    )
    if not hmac.compare_digest(expected, query.get("Signature", [""])[-1]):
        raise SignatureRefused(
            "mismatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    return "s3"


class _V2Signer(HmacV1Auth):
    """Signature version 2 of a pre-signed URL: its expiry time stands for the date."""

    def __init__(self, credentials: Credentials, expires: str) -> None:
        super().__init__(credentials)
        self._expires = expires

    def _get_date(self) -> str:
        return self._expires


class _SignsTheReceivedHeaders:
    """botocore's signer, fed with exactly the headers the client says it signed."""

    signed: HTTPHeaders

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return self.signed


class _HeaderSigner(_SignsTheReceivedHeaders, SigV4Auth):
    pass


class _S3HeaderSigner(_SignsTheReceivedHeaders, S3SigV4Auth):
    pass


class _QuerySigner(_SignsTheReceivedHeaders, SigV4QueryAuth):
    pass


class _S3QuerySigner(_SignsTheReceivedHeaders, S3SigV4QueryAuth):
    pass


def _aws_request(request: ReceivedRequest, target: str, signature: _Signature) -> AWSRequest:
    aws_request = AWSRequest(
        method=request.method, url=f"http://localhost{target}", data=request.body
    )
    wanted = set(signature.signed_headers)
    signed = HTTPHeaders()
    for name, value in request.headers:
        if name.lower() in wanted:
            signed[name.lower()] = value
    aws_request.headers = signed
    aws_request.context["timestamp"] = signature.amz_date
    return aws_request


def _check(signer: SigV4Auth, request: AWSRequest, signature: str) -> None:
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, signature):
        raise SignatureRefused(
            "mismatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )


def _check_declared_payload(request: ReceivedRequest) -> None:
    declared = request.header("X-Amz-Content-SHA256")
    if declared is None or declared.startswith(UNCHECKED_PAYLOADS):
        return
    if declared != hashlib.sha256(request.body).hexdigest():
        raise SignatureRefused(
            "mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )


def _secret_of(signature: _Signature, secret_keys: dict[str, str]) -> str:
    secret = secret_keys.get(signature.access_key)
    if secret is None:
        raise SignatureRefused(
            "unknown-key", "The security token included in the request is invalid."
        )
    return secret


def _parse_authorization(authorization: str, amz_date: str | None) -> _Signature:
    algorithm, _, rest = authorization.strip().partition(" ")
    params: dict[str, str] = {}
    for part in rest.split(","):
        name, _, value = part.strip().partition("=")
        params[name] = value
    credential = params.get("Credential", "").split("/")
    if algorithm != SIGV4_ALGORITHM or len(credential) != 5 or not amz_date:
        raise SignatureRefused(
            "incomplete",
            f"Authorization header requires 'Credential', 'Signature', 'SignedHeaders' "
            f"parameters and an X-Amz-Date header. Authorization={authorization}",
        )
    return _Signature(
        access_key=credential[0],
        region=credential[2],
        service=credential[3],
        signed_headers=tuple(params.get("SignedHeaders", "").lower().split(";")),
        signature=params.get("Signature", ""),
        amz_date=amz_date,
    )


def _signed_at(amz_date: str) -> datetime:
    try:
        return datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    except ValueError as error:
        raise SignatureRefused(
            "incomplete", f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'."
        ) from error


def _check_clock_skew(signed_at: datetime, now: datetime) -> None:
    if abs(now - signed_at) > ALLOWED_CLOCK_SKEW:
        raise SignatureRefused(
            "expired",
            f"Signature expired: {signed_at.strftime(SIGV4_TIMESTAMP)} is more than 15 min "
            f"from {now.strftime(SIGV4_TIMESTAMP)}.",
        )
