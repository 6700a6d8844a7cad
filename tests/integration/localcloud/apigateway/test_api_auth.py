"""The API Gateway emulator's authorizers over real HTTP: Cognito ID tokens issued by
the emulator's user pools, and SigV4 for AWS_IAM routes."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from localcloud.apigateway.authorizers.cognito import CognitoVerifier, render_claims
from localcloud.apigateway.authorizers.rejections import AuthRejected
from localcloud.apigateway.authorizers.sigv4 import SigV4Verifier, sign_request
from localcloud.apigateway.gateway import ApiGateway
from localcloud.emulator.process import Emulator, free_port
from localcloud.model import CognitoAuthorizer, InvocationResult, RestApiSettings, Route, UserPool

pytestmark = pytest.mark.integration

REGION = "us-east-1"
ACCOUNT = "123456789012"
PASSWORD = "Local-Passw0rd!"
BINARY_API = RestApiSettings("q7w8e9r0t1", ("application/octet-stream",))
JAVA_DATE = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$")


@dataclass(frozen=True)
class Pool:
    spec: UserPool
    client_id: str

    def id_token(self, cognito: Any, username: str) -> str:
        answer = cognito.admin_initiate_auth(
            UserPoolId=self.spec.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
        return str(answer["AuthenticationResult"]["IdToken"])


def create_pool(cognito: Any, name: str, users: dict[str, list[str]]) -> Pool:
    pool_id = cognito.create_user_pool(PoolName=f"{name}-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    pool_arn = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        ReadAttributes=["email"],
    )["UserPoolClient"]["ClientId"]
    groups = sorted({group for member_of in users.values() for group in member_of})
    for group in groups:
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    for username, member_of in users.items():
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        for group in member_of:
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    spec = UserPool(name, pool_id, pool_arn, (client_id,), tuple(groups))
    return Pool(spec, client_id)


@dataclass(frozen=True)
class Setup:
    gateway: ApiGateway
    shop: Pool
    other: Pool
    cognito: Any
    emulator_endpoint: str

    @property
    def url(self) -> str:
        return self.gateway.url


def echo(_function: str, event: dict[str, Any], _trace: str) -> InvocationResult:
    return InvocationResult(ok=True, payload={"statusCode": 200, "body": json.dumps(event)})


@pytest.fixture(scope="module")
def setup(emulator: Emulator) -> Iterator[Setup]:
    cognito = boto3.client("cognito-idp", endpoint_url=emulator.endpoint_url, region_name=REGION)
    shop = create_pool(cognito, "Shop", {"alice": ["admin", "staff"], "carol": []})
    other = create_pool(cognito, "Other", {"mallory": ["admin"]})
    authorizer = CognitoAuthorizer("ShopAuthorizer", (shop.spec.arn,))
    routes = [
        Route("GET", "/me", "Me", "COGNITO", authorizer),
        Route("ANY", "/internal/{itemId}", "Internal", "AWS_IAM", api=BINARY_API),
        Route("GET", "/public", "Public", "NONE"),
    ]
    pools = {"Shop": shop.spec, "Other": other.spec}
    gateway = ApiGateway(
        routes,
        echo,
        stage="Prod",
        region=REGION,
        account_id=ACCOUNT,
        cognito=CognitoVerifier(emulator.endpoint_url, REGION, pools),
        sigv4=SigV4Verifier({"test": "test"}, REGION, ACCOUNT),
        port=free_port(),
    )
    gateway.start()
    yield Setup(gateway, shop, other, cognito, emulator.endpoint_url)
    gateway.stop()


def claims_of(setup: Setup, token: str | None) -> requests.Response:
    headers = {} if token is None else {"Authorization": token}
    return requests.get(setup.url + "/me", headers=headers, timeout=10)


def event_of(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def signed_with_the_key_moto_ships(claims: dict[str, Any]) -> str:
    """A token signed with the private key inside the moto package, kid "dummy"."""
    bundled_key = jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key
    return jwt.encode(claims, bundled_key, algorithm="RS256", headers={"kid": "dummy"})


# ---------------------------------------------------------------- Cognito


@pytest.mark.parametrize("scheme", ["", "Bearer "])
def test_a_valid_id_token_reaches_the_function_with_its_claims(setup: Setup, scheme: str) -> None:
    token = setup.shop.id_token(setup.cognito, "alice")

    event = event_of(claims_of(setup, scheme + token))

    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["cognito:username"] == "alice"
    assert sorted(claims["cognito:groups"].split(",")) == ["admin", "staff"]
    assert claims["email"] == "alice@example.com"
    assert claims["token_use"] == "id"
    assert claims["aud"] == setup.shop.client_id
    assert claims["iss"] == (
        f"https://cognito-idp.{REGION}.amazonaws.com/{setup.shop.spec.pool_id}"
    )
    assert JAVA_DATE.match(claims["exp"]) and JAVA_DATE.match(claims["iat"])
    assert claims["auth_time"].isdigit()
    assert all(isinstance(value, str) for value in claims.values())


def test_claims_are_rendered_as_api_gateway_rest_renders_them() -> None:
    rendered = render_claims(
        {
            "cognito:groups": ["admin", "staff"],
            "exp": 1680633579,
            "iat": 1680629979,
            "auth_time": 1680629979,
            "email_verified": True,
            "sub": "u-1",
        }
    )

    assert rendered == {
        "cognito:groups": "admin,staff",
        "exp": "Tue Apr 04 18:39:39 UTC 2023",
        "iat": "Tue Apr 04 17:39:39 UTC 2023",
        "auth_time": "1680629979",
        "email_verified": "true",
        "sub": "u-1",
    }


def test_a_user_in_no_group_has_no_groups_claim(setup: Setup) -> None:
    token = setup.shop.id_token(setup.cognito, "carol")

    claims = event_of(claims_of(setup, token))["requestContext"]["authorizer"]["claims"]

    assert "cognito:groups" not in claims


def test_a_token_signed_with_the_key_moto_ships_is_unauthorized(setup: Setup) -> None:
    genuine = jwt.decode(
        setup.shop.id_token(setup.cognito, "alice"), options={"verify_signature": False}
    )
    as_admin = {**genuine, "cognito:groups": ["admin"]}

    response = claims_of(setup, signed_with_the_key_moto_ships(as_admin))

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_each_pool_serves_its_own_signing_key(setup: Setup) -> None:
    def key_ids(pool_id: str) -> list[str]:
        answer = requests.get(
            f"{setup.emulator_endpoint}/{pool_id}/.well-known/jwks.json", timeout=10
        )
        answer.raise_for_status()
        return [key["kid"] for key in answer.json()["keys"]]

    shop_keys, other_keys = key_ids(setup.shop.spec.pool_id), key_ids(setup.other.spec.pool_id)

    assert len(shop_keys) == len(other_keys) == 1
    assert shop_keys != other_keys
    assert "dummy" not in shop_keys + other_keys
    token_kid = jwt.get_unverified_header(setup.shop.id_token(setup.cognito, "alice"))["kid"]
    assert token_kid == shop_keys[0]


def test_a_token_signed_with_another_key_is_unauthorized(setup: Setup) -> None:
    genuine = jwt.decode(
        setup.shop.id_token(setup.cognito, "alice"), options={"verify_signature": False}
    )
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(genuine, other_key, algorithm="RS256", headers={"kid": "dummy"})

    assert claims_of(setup, forged).status_code == 401


def test_a_token_with_a_tampered_payload_is_unauthorized(setup: Setup) -> None:
    header, payload, signature = setup.shop.id_token(setup.cognito, "carol").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["admin"]
    tampered_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")

    response = claims_of(setup, f"{header}.{tampered_payload.decode()}.{signature}")

    assert response.status_code == 401


def test_an_unsigned_alg_none_token_is_unauthorized(setup: Setup) -> None:
    genuine = jwt.decode(
        setup.shop.id_token(setup.cognito, "alice"), options={"verify_signature": False}
    )
    unsigned = jwt.encode(genuine, "", algorithm="none", headers={"kid": "dummy"})

    assert claims_of(setup, unsigned).status_code == 401


def test_a_token_of_another_pool_is_unauthorized(setup: Setup) -> None:
    token = setup.other.id_token(setup.cognito, "mallory")

    response = claims_of(setup, token)

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_an_access_token_is_not_an_id_token(setup: Setup) -> None:
    answer = setup.cognito.admin_initiate_auth(
        UserPoolId=setup.shop.spec.pool_id,
        ClientId=setup.shop.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )

    response = claims_of(setup, answer["AuthenticationResult"]["AccessToken"])

    assert response.status_code == 401


@pytest.mark.parametrize("token", [None, "", "Bearer ", "not-a-jwt"])
def test_a_missing_or_unreadable_token_is_unauthorized(setup: Setup, token: str | None) -> None:
    response = claims_of(setup, token)

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


# ---------------------------------------------------------------- SigV4


def signed_call(
    setup: Setup,
    method: str,
    path: str,
    body: bytes = b"",
    secret_key: str = "test",
    access_key: str = "test",
    extra_headers: dict[str, str] | None = None,
) -> requests.Response:
    url = setup.url + path
    headers = sign_request(
        method,
        url,
        body,
        {"Content-Type": "application/octet-stream", **(extra_headers or {})},
        access_key=access_key,
        secret_key=secret_key,
        region=REGION,
    )
    return requests.request(method, url, data=body, headers=headers, timeout=10)


def test_a_signed_call_reaches_the_function_with_the_caller_identity(setup: Setup) -> None:
    event = event_of(signed_call(setup, "GET", "/internal/7"))

    identity = event["requestContext"]["identity"]
    assert identity["accessKey"] == "test"
    assert identity["accountId"] == ACCOUNT
    assert identity["userArn"] == f"arn:aws:iam::{ACCOUNT}:user/local"
    assert identity["caller"] == identity["user"]
    assert identity["user"].startswith("AIDA")
    assert "authorizer" not in event["requestContext"]


def test_a_signed_call_keeps_path_parameters_query_headers_and_binary_body(setup: Setup) -> None:
    body = b"\x00\xffbinary"

    event = event_of(
        signed_call(
            setup,
            "POST",
            "/internal/a%20b?tag=x&tag=y&q=caf%C3%A9",
            body,
            extra_headers={"X-Order-Id": "o-1"},
        )
    )

    assert event["pathParameters"] == {"itemId": "a b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"], "q": ["café"]}
    assert event["queryStringParameters"] == {"tag": "y", "q": "café"}
    assert event["headers"]["X-Order-Id"] == "o-1"
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_a_call_signed_with_the_wrong_secret_is_forbidden(setup: Setup) -> None:
    response = signed_call(setup, "GET", "/internal/7", secret_key="wrong")

    assert response.status_code == 403
    assert response.json()["message"].startswith(
        "The request signature we calculated does not match the signature you provided."
    )


def test_a_body_changed_after_signing_is_forbidden(setup: Setup) -> None:
    url = setup.url + "/internal/7"
    headers = sign_request(
        "POST", url, b'{"quantity": 1}', {}, access_key="test", secret_key="test", region=REGION
    )

    response = requests.post(url, data=b'{"quantity": 9}', headers=headers, timeout=10)

    assert response.status_code == 403
    assert "signature we calculated does not match" in response.json()["message"]


def test_an_unknown_access_key_is_forbidden(setup: Setup) -> None:
    response = signed_call(setup, "GET", "/internal/7", access_key="AKIAUNKNOWN")

    assert response.status_code == 403
    assert response.json() == {"message": "The security token included in the request is invalid."}


def test_an_unsigned_call_to_an_iam_route_is_forbidden(setup: Setup) -> None:
    response = requests.get(setup.url + "/internal/7", timeout=10)

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_a_shopper_token_on_an_iam_route_is_forbidden(setup: Setup) -> None:
    token = setup.shop.id_token(setup.cognito, "alice")

    response = requests.get(
        setup.url + "/internal/7", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )

    assert response.status_code == 403
    assert response.json()["message"].startswith(
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter."
    )


def test_a_signature_older_than_15_minutes_is_forbidden(setup: Setup) -> None:
    url = setup.url + "/internal/7"
    headers = sign_request("GET", url, b"", {}, access_key="test", secret_key="test", region=REGION)
    verifier = SigV4Verifier({"test": "test"}, REGION, ACCOUNT)
    host = url.split("/")[2]
    received = [("Host", host), *headers.items()]

    verifier.verify("GET", "/internal/7", received, b"", datetime.now(UTC) + timedelta(minutes=14))
    with pytest.raises(AuthRejected, match="Signature expired"):
        verifier.verify(
            "GET", "/internal/7", received, b"", datetime.now(UTC) + timedelta(minutes=16)
        )


def test_an_unknown_route_answers_missing_authentication_token(setup: Setup) -> None:
    response = requests.get(setup.url + "/internal", timeout=10)

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
