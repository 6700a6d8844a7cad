"""Where the emulator's Cognito keeps what Cognito serves at its own addresses."""

from __future__ import annotations


def jwks_url(endpoint_url: str, pool_id: str) -> str:
    """A user pool's token signing keys. Cognito serves them at
    `https://cognito-idp.<region>.amazonaws.com/<pool_id>/.well-known/jwks.json`; moto at
    the same path under its own endpoint (signing every pool's tokens with one key, kid
    "dummy")."""
    return f"{endpoint_url.rstrip('/')}/{pool_id}/.well-known/jwks.json"
