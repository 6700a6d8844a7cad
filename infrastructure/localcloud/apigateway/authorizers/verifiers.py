"""The API Gateway emulator's authorizers: Cognito user pool ID tokens (COGNITO routes)
and AWS Signature Version 4 for service `execute-api` (AWS_IAM routes)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from localcloud.model import CognitoAuthorizer, UserPool

SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4_SERVICE = "execute-api"
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
ALLOWED_CLOCK_SKEW = timedelta(minutes=15)
JWKS_REFETCH_INTERVAL_S = 30.0
"""An unknown `kid` triggers a new JWKS fetch at most this often, so forged tokens cannot
turn the verifier into a request flood against the emulator."""

Headers = Iterable[tuple[str, str]]


class AuthRejected(Exception):
    """The request does not pass the route's authorizer; API Gateway answers with
    `status`, `{"message": message}` and the `x-amzn-ErrorType` header `error_type`."""

    def __init__(self, status: int, message: str, error_type: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type


def _unauthorized() -> AuthRejected:
    return AuthRejected(401, "Unauthorized", "UnauthorizedException")


def missing_authentication_token() -> AuthRejected:
    return AuthRejected(403, "Missing Authentication Token", "MissingAuthenticationTokenException")


def _header(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


# ---------------------------------------------------------------- Cognito


class CognitoVerifier:
    """Verifies Cognito ID tokens as API Gateway's COGNITO_USER_POOLS authorizer does.

    moto signs the tokens of every user pool with one RSA key (kid "dummy") and serves
    it at `<endpoint>/<pool_id>/.well-known/jwks.json`; so a token is tied to its pool
    by `iss` (`https://cognito-idp.<region>.amazonaws.com/<pool_id>`) and `aud` (one of
    the pool's app client ids), both of which are checked after the signature.
    """

    def __init__(self, endpoint_url: str, region: str, user_pools: dict[str, UserPool]) -> None:
        self._endpoint_url = endpoint_url.rstrip("/")
        self._region = region
        self._pools_by_arn = {pool.arn: pool for pool in user_pools.values()}
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def knows_pool(self, arn: str) -> bool:
        return arn in self._pools_by_arn

    def issuer(self, pool: UserPool) -> str:
        """The `iss` moto (and Cognito) writes into the pool's tokens."""
        region = pool.arn.split(":")[3] if pool.arn.count(":") >= 5 else self._region
        return f"https://cognito-idp.{region}.amazonaws.com/{pool.pool_id}"

    def verify(self, authorizer: CognitoAuthorizer, header_value: str | None) -> dict[str, str]:
        """The token's claims as `requestContext.authorizer.claims`, or AuthRejected 401."""
        token = _bearer_token(header_value)
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise _unauthorized() from error
        pool = self._pool_of(authorizer, unverified.get("iss"))
        key = self._signing_key(pool.pool_id, kid)
        if key is None:
            raise _unauthorized()
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=list(pool.client_ids),
                issuer=self.issuer(pool),
                options={"require": ["exp", "iss", "aud", "token_use"]},
            )
        except jwt.PyJWTError as error:
            raise _unauthorized() from error
        if claims.get("token_use") != "id":
            raise _unauthorized()
        return render_claims(claims)

    def _pool_of(self, authorizer: CognitoAuthorizer, issuer: object) -> UserPool:
        for arn in authorizer.user_pool_arns:
            pool = self._pools_by_arn.get(arn)
            if pool is not None and self.issuer(pool) == issuer:
                return pool
        raise _unauthorized()

    def _signing_key(self, pool_id: str, kid: object) -> Any:
        if not isinstance(kid, str):
            return None
        with self._lock:
            keys = self._keys.get(pool_id)
            stale = time.monotonic() - self._fetched_at.get(pool_id, -1e9) > JWKS_REFETCH_INTERVAL_S
            if keys is None or (kid not in keys and stale):
                keys = self._fetch_keys(pool_id)
                self._keys[pool_id] = keys
                self._fetched_at[pool_id] = time.monotonic()
            return keys.get(kid)

    def _fetch_keys(self, pool_id: str) -> dict[str, Any]:
        url = f"{self._endpoint_url}/{pool_id}/.well-known/jwks.json"
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        key_set = jwt.PyJWKSet.from_dict(response.json())
        return {key.key_id: key.key for key in key_set.keys if key.key_id}


def _bearer_token(header_value: str | None) -> str:
    token = (header_value or "").strip()
    scheme, _, rest = token.partition(" ")
    if scheme.lower() == "bearer":
        token = rest.strip()
    if not token:
        raise _unauthorized()
    return token


JAVA_DATE_CLAIMS = frozenset({"exp", "iat"})


def render_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway REST (v1) hands them to the function: every value a string.

    - a list (`cognito:groups`) becomes its items joined by "," with no spaces:
      ["admin", "users"] -> "admin,users" (the REST API rendering; HTTP APIs write
      "[admin users]" instead);
    - `exp` and `iat` become Java `Date.toString()` text in UTC,
      e.g. "Tue Apr 04 18:39:39 UTC 2023"; other numbers (`auth_time`) stay digits;
    - booleans become "true"/"false"; objects become compact JSON.
    """
    return {name: _render_claim(name, value) for name, value in claims.items()}


def _render_claim(name: str, value: Any) -> str:
    if name in JAVA_DATE_CLAIMS and isinstance(value, int | float) and not isinstance(value, bool):
        return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
    if isinstance(value, list):
        return ",".join(_render_claim("", item) for item in value)
    return _render_scalar(value)


def _render_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


# ---------------------------------------------------------------- SigV4


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
        authorization = _header(headers, "Authorization")
        if authorization is None:
            raise missing_authentication_token()
        signed = _parse_authorization(authorization, _header(headers, "X-Amz-Date"))
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
