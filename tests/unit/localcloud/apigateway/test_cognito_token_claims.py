"""The COGNITO_USER_POOLS authorizer takes only ID tokens whose claims are written as
Cognito writes them: signed by the pool's key, `aud` one client id as a string,
`token_use` "id", whole-second `exp`/`iat`/`nbf`, valid now and for at most a day."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from localcloud.apigateway.authorizers.cognito import CognitoVerifier
from localcloud.apigateway.authorizers.rejections import AuthRejected
from localcloud.model import CognitoAuthorizer, UserPool

REGION = "us-east-1"
POOL_ID = "us-east-1_Shop"
CLIENT_ID = "shopclient"
KID = "pool-key"
POOL_ARN = f"arn:aws:cognito-idp:{REGION}:123456789012:userpool/{POOL_ID}"
POOL = UserPool("Shop", POOL_ID, POOL_ARN, (CLIENT_ID,), ())
AUTHORIZER = CognitoAuthorizer("ShopAuthorizer", (POOL.arn,))
POOL_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class PoolKeyVerifier(CognitoVerifier):
    """The verifier with the pool's key set given rather than fetched from an emulator."""

    def _fetch_keys(self, pool_id: str) -> dict[str, Any]:
        return {KID: POOL_KEY.public_key()} if pool_id == POOL_ID else {}


def verify(claims: dict[str, Any], key: Any = POOL_KEY) -> dict[str, str]:
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})
    verifier = PoolKeyVerifier("http://127.0.0.1:1", REGION, {"Shop": POOL})
    return verifier.verify(AUTHORIZER, token)


def id_token_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": "0b8f6a2e-alice",
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}",
        "aud": CLIENT_ID,
        "token_use": "id",
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "email": "alice@example.com",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def test_an_id_token_as_cognito_issues_it_is_accepted() -> None:
    claims = verify(id_token_claims())

    assert (claims["sub"], claims["aud"], claims["email"]) == (
        "0b8f6a2e-alice",
        CLIENT_ID,
        "alice@example.com",
    )


NOW = int(time.time())
REFUSED = {
    "expired": id_token_claims(iat=NOW - 7200, exp=NOW - 3600),
    "exp as text": id_token_claims(exp=str(NOW + 3600)),
    "exp as a fraction": id_token_claims(exp=NOW + 3600.5),
    "exp as true": id_token_claims(exp=True),
    "exp in 31,000 years": id_token_claims(exp=10**12),
    "valid for longer than a day": id_token_claims(exp=NOW + 2 * 86400),
    "issued in the future": id_token_claims(iat=NOW + 3600, exp=NOW + 7200),
    "iat as text": id_token_claims(iat=str(NOW)),
    "no iat": id_token_claims(iat=None),
    "not before an hour from now": id_token_claims(nbf=NOW + 3600),
    "nbf as text": id_token_claims(nbf=str(NOW)),
    "aud as a list": id_token_claims(aud=[CLIENT_ID]),
    "aud of another client": id_token_claims(aud="otherclient"),
    "no aud": id_token_claims(aud=None),
    "an access token": id_token_claims(token_use="access"),
    "token_use missing": id_token_claims(token_use=None),
    "another pool's issuer": id_token_claims(
        iss=f"https://cognito-idp.{REGION}.amazonaws.com/us-east-1_Other"
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_claims_not_as_cognito_writes_them_are_unauthorized(case: str) -> None:
    with pytest.raises(AuthRejected) as rejected:
        verify(REFUSED[case])

    assert rejected.value.status == 401


def test_a_token_signed_with_another_key_under_the_pools_kid_is_unauthorized() -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    with pytest.raises(AuthRejected):
        verify(id_token_claims(), key=other_key)
