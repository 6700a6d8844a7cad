"""Each emulated user pool signs with a key pair of its own, and moto's bundled private
key (shipped inside the package) is never imported: importing it cost 0.1-0.5 s of CPU
per pool, the slowest step of provisioning the stack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import moto.cognitoidp.models
import pytest
from joserfc import jwk, jwt
from moto import mock_aws
from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.utilities.utils import load_resource

from localcloud.emulator.patches import signing_keys

REGION = "us-east-1"


@pytest.fixture
def own_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The patch installed for one test: moto's module attributes come back after it."""
    monkeypatch.setattr(moto.cognitoidp.models, "jwk", moto.cognitoidp.models.jwk)
    monkeypatch.setattr(moto.cognitoidp.models, "jwt", moto.cognitoidp.models.jwt)
    monkeypatch.setattr(moto.cognitoidp.urls, "url_paths", dict(moto.cognitoidp.urls.url_paths))
    signing_keys.install()
    with mock_aws():
        yield


def _pool_key(pool_name: str) -> jwk.RSAKey:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id = cognito.create_user_pool(PoolName=pool_name)["UserPool"]["Id"]
    pool = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[pool_id]
    key: jwk.RSAKey = pool.json_web_key
    return key


def test_a_new_pool_never_imports_the_bundled_key(
    own_keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported: list[Any] = []

    def import_key(data: Any, *args: Any, **kwargs: Any) -> Any:
        imported.append(data)
        raise AssertionError("a pool imported a key")

    monkeypatch.setattr(jwk.RSAKey, "import_key", import_key)

    key = _pool_key("shoppers")

    assert imported == []
    assert key.as_dict(private=True)["d"]


def test_each_pool_has_its_own_key_pair_none_of_them_moto_s(own_keys: None) -> None:
    bundled = load_resource("cognitoidp/resources/jwks-private.json")

    first, second = _pool_key("shoppers"), _pool_key("staff")

    moduli = {first.as_dict()["n"], second.as_dict()["n"], bundled["n"]}
    assert len(moduli) == 3
    assert first.kid != second.kid
    assert "dummy" not in {first.kid, second.kid}


def test_a_pool_s_tokens_are_signed_with_its_own_key_and_name_it(own_keys: None) -> None:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id = cognito.create_user_pool(PoolName="shoppers")["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", ExplicitAuthFlows=["ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="alice")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="alice", Password="Passw0rd!long", Permanent=True
    )
    token = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Passw0rd!long"},
    )["AuthenticationResult"]["IdToken"]
    key = cognitoidp_backends[DEFAULT_ACCOUNT_ID][REGION].user_pools[pool_id].json_web_key

    decoded = jwt.decode(token, key)

    assert decoded.header["kid"] == key.kid
    assert decoded.claims["cognito:username"] == "alice"
