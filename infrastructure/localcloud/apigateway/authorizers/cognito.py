"""The COGNITO_USER_POOLS authorizer: a user pool's ID token in the route's identity header."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

import jwt
import requests

from localcloud.apigateway.authorizers.rejections import unauthorized
from localcloud.emulator.cognito import jwks_url
from localcloud.model import CognitoAuthorizer, UserPool

ID_TOKEN_LONGEST_VALIDITY_S = 24 * 60 * 60
"""Cognito issues ID tokens valid for 5 minutes to 1 day (the app client's setting)."""
CLOCK_SKEW_S = 60
JWKS_REFETCH_INTERVAL_S = 30.0
"""An unknown `kid` triggers a new JWKS fetch at most this often, so forged tokens cannot
turn the verifier into a request flood against the emulator."""


class CognitoVerifier:
    """Verifies Cognito ID tokens as API Gateway's COGNITO_USER_POOLS authorizer does.

    The signing keys come from where the emulator serves each pool's key set (see
    `localcloud.emulator.cognito`): each pool's own, made for this run. After the
    signature, the claims are checked as Cognito writes them: `iss`
    (`https://cognito-idp.<region>.amazonaws.com/<pool_id>`), `aud` one of the pool's
    app client ids as a string, `token_use` "id", and `exp`, `iat` (and `nbf` if
    present) whole numbers of seconds, the token issued in the past and valid now, for
    no longer than Cognito's longest ID token validity.
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
            raise unauthorized() from error
        pool = self._pool_of(authorizer, unverified.get("iss"))
        key = self._signing_key(pool.pool_id, kid)
        if key is None:
            raise unauthorized()
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer(pool),
                options={"require": ["exp", "iat", "iss", "aud", "token_use"], "verify_aud": False},
            )
        except jwt.PyJWTError as error:
            raise unauthorized() from error
        if not _issued_as_cognito_does(claims, pool, time.time()):
            raise unauthorized()
        return render_claims(claims)

    def _pool_of(self, authorizer: CognitoAuthorizer, issuer: object) -> UserPool:
        for arn in authorizer.user_pool_arns:
            pool = self._pools_by_arn.get(arn)
            if pool is not None and self.issuer(pool) == issuer:
                return pool
        raise unauthorized()

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
        response = requests.get(jwks_url(self._endpoint_url, pool_id), timeout=10)
        response.raise_for_status()
        key_set = jwt.PyJWKSet.from_dict(response.json())
        return {key.key_id: key.key for key in key_set.keys if key.key_id}


def _issued_as_cognito_does(claims: Mapping[str, Any], pool: UserPool, now: float) -> bool:
    """The claims' types and bounds are those of an ID token the pool issued."""
    times = [claims["exp"], claims["iat"], claims.get("nbf", claims["iat"])]
    if not all(isinstance(moment, int) and not isinstance(moment, bool) for moment in times):
        return False
    exp, iat, nbf = times
    audience = claims["aud"]
    return (
        isinstance(audience, str)
        and audience in pool.client_ids
        and claims["token_use"] == "id"
        and iat <= now + CLOCK_SKEW_S
        and nbf <= now + CLOCK_SKEW_S
        and now < exp <= iat + ID_TOKEN_LONGEST_VALIDITY_S
    )


def _bearer_token(header_value: str | None) -> str:
    token = (header_value or "").strip()
    scheme, _, rest = token.partition(" ")
    if scheme.lower() == "bearer":
        token = rest.strip()
    if not token:
        raise unauthorized()
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
