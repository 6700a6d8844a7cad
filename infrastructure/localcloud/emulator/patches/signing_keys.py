"""Each emulated user pool signs its tokens with its own key pair, made when the pool is.

moto signs every pool's tokens with one RSA key whose private half ships inside the moto
package (`cognitoidp/resources/jwks-private.json`, kid "dummy"): anyone on the machine
could sign an ID token the local API Gateway accepts, with any user's `sub` or the admin
group. As on Cognito, a pool here gets a key pair of its own (RSA 2048, RS256) that
exists only in the emulator's memory for this run, and its JWKS document
(`/<pool_id>/.well-known/jwks.json`) serves that pool's public key alone. A pool the
emulator does not know has no key set (404, as Cognito answers).

moto's bundled key is never even read: importing it cost 0.1-0.5 s of CPU per pool (the
file holds no primes, which are recovered from the exponents), the slowest step of
provisioning a stack, and the key was thrown away. A pool now takes a median 40 ms, most
of it generating its key (150-235 ms before).
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

import moto.cognitoidp.models
import moto.cognitoidp.urls
from joserfc import jwk
from joserfc import jwt as joserfc_jwt
from moto.cognitoidp.models import CognitoIdpUserPool, cognitoidp_backends

KEY_SIZE_BITS = 2048
JWKS_PATH = re.compile(r"/(?P<pool_id>[^/]+)/\.well-known/jwks\.json$")


def install() -> None:
    moto.cognitoidp.models.jwk = _NewKeyForEachPool()  # type: ignore[assignment]
    moto.cognitoidp.models.jwt = _SignsWithTheKeysKid()  # type: ignore[assignment]
    for pattern in list(moto.cognitoidp.urls.url_paths):
        if pattern.endswith("/.well-known/jwks.json$"):
            moto.cognitoidp.urls.url_paths[pattern] = serve_pool_keys


def new_signing_key() -> jwk.RSAKey:
    return jwk.RSAKey.generate_key(
        KEY_SIZE_BITS,
        parameters={"kid": secrets.token_urlsafe(32), "alg": "RS256", "use": "sig"},
    )


class _NewKeyForEachPool:
    """moto's `jwk` module as a new user pool calls it: where the pool would import moto's
    bundled private key, it gets a new key pair of its own."""

    class RSAKey:
        @staticmethod
        def import_key(_bundled_key: Any) -> jwk.RSAKey:
            return new_signing_key()


class _SignsWithTheKeysKid:
    """moto's `jwt` module as its user pools call it, with the `kid` header naming the key
    that signs (moto writes "dummy" whatever the key)."""

    def encode(self, header: dict[str, Any], claims: dict[str, Any], key: Any) -> str:
        return joserfc_jwt.encode({**header, "kid": key.kid}, claims, key)

    def __getattr__(self, name: str) -> Any:
        return getattr(joserfc_jwt, name)


def serve_pool_keys(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """GET /<pool_id>/.well-known/jwks.json: the pool's public signing key."""
    match = JWKS_PATH.search(full_url.split("?", 1)[0])
    pool = _pool(match["pool_id"]) if match else None
    if pool is None:
        return 404, {"Content-Type": "application/json"}, json.dumps({"message": "Not found"})
    public = pool.json_web_key.as_dict(private=False)
    return 200, {"Content-Type": "application/json"}, json.dumps({"keys": [public]})


def _pool(pool_id: str) -> CognitoIdpUserPool | None:
    for regions in cognitoidp_backends.values():
        for backend in regions.values():
            pool = backend.user_pools.get(pool_id)
            if pool is not None:
                return pool
    return None
