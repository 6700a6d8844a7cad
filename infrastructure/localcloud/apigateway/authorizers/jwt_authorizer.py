"""An HTTP API's JWT authorizer: a token from the route's identity source, signed by a key
of its issuer, for one of the authorizer's audiences (`aud`, or `client_id` when the token
has no `aud`, as Cognito access tokens), valid now, and holding one of the route's scopes
when it names any. The issuer's keys come from its OpenID discovery document; a user
pool of the emulator (issuer `https://cognito-idp.REGION.amazonaws.com/POOL`) serves
them from the emulator."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import jwt
import requests

from localcloud.apigateway.authorizers.rejections import AuthRejected, unauthorized
from localcloud.emulator.cognito import jwks_url
from localcloud.model import JwtAuthorizer

logger = logging.getLogger(__name__)

JWKS_REFETCH_INTERVAL_S = 30.0
CLOCK_SKEW_S = 60
_COGNITO_ISSUER_PREFIX = "https://cognito-idp."


def forbidden() -> AuthRejected:
    return AuthRejected(403, "Forbidden", "AccessDeniedException")


class JwtVerifier:
    def __init__(self, endpoint_url: str, pool_ids: frozenset[str]) -> None:
        self._endpoint_url = endpoint_url
        self._pool_ids = pool_ids
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def verify(self, authorizer: JwtAuthorizer, header: str | None) -> dict[str, Any]:
        """`requestContext.authorizer.jwt` for a token that passes: its claims, as HTTP
        APIs render them, and its scopes; AuthRejected otherwise."""
        token = (header or "").strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if not token:
            raise unauthorized()
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._signing_key(authorizer.issuer, kid)
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=authorizer.issuer,
                leeway=CLOCK_SKEW_S,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except requests.RequestException as error:
            logger.warning(
                "JWT authorizer %s: the keys of issuer %s cannot be fetched (%s); "
                "its tokens are refused",
                authorizer.name,
                authorizer.issuer,
                error,
            )
            raise unauthorized() from error
        except (jwt.PyJWTError, KeyError) as error:
            raise unauthorized() from error
        if not set(_audiences(claims)) & set(authorizer.audience):
            raise unauthorized()
        scopes = str(claims.get("scope", "")).split()
        if authorizer.scopes and not set(scopes) & set(authorizer.scopes):
            raise forbidden()
        return {"claims": render_claims_v2(claims), "scopes": scopes or None}

    def _signing_key(self, issuer: str, kid: object) -> Any:
        with self._lock:
            keys = self._keys.get(issuer)
            stale = time.monotonic() - self._fetched_at.get(issuer, -1e9) > JWKS_REFETCH_INTERVAL_S
            if keys is None or (kid not in keys and stale):
                keys = self._fetch_keys(issuer)
                self._keys[issuer] = keys
                self._fetched_at[issuer] = time.monotonic()
        return keys[str(kid)]

    def _fetch_keys(self, issuer: str) -> dict[str, Any]:
        pool_id = issuer.rstrip("/").rsplit("/", 1)[-1]
        if issuer.startswith(_COGNITO_ISSUER_PREFIX) and pool_id in self._pool_ids:
            url = jwks_url(self._endpoint_url, pool_id)
        else:
            discovery = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
            url = requests.get(discovery, timeout=5).json()["jwks_uri"]
        answer = requests.get(url, timeout=5)
        answer.raise_for_status()
        key_set = jwt.PyJWKSet.from_dict(answer.json())
        return {key.key_id: key.key for key in key_set.keys if key.key_id}


def _audiences(claims: dict[str, Any]) -> list[str]:
    audience = claims.get("aud", claims.get("client_id"))
    return audience if isinstance(audience, list) else [str(audience)]


def render_claims_v2(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as HTTP APIs hand them to the function: every value a string, a list
    written as "[a b]"."""
    return {name: _render(value) for name, value in claims.items()}


def _render(value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(_render(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
