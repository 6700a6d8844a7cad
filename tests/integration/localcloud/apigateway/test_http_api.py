"""An HTTP API on a local cloud of its own (http_api_app, SAM's HttpApi): requests reach the
functions as payload format 2.0 events, a JWT authorizer on the stack's user pool lets a
token for its app client through (its claims in the event) and answers 401 to none, a
forged one or one for another app client, a public route needs no token, and a result
without statusCode is a 200 JSON body."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import jwt
import pytest
import requests

from localcloud.cloud import LocalCloud, LocalCloudConfig
from localcloud.emulator.process import free_port

pytestmark = pytest.mark.integration

APP_TEMPLATE = Path(__file__).with_name("http_api_app") / "template.yaml"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    started = LocalCloud(
        LocalCloudConfig(
            template=APP_TEMPLATE,
            stack_name="httpapi",
            api_port=free_port(),
            emulator_port=free_port(),
            monitoring=None,
            quiet=True,
        )
    )
    started.start()
    yield started
    started.stop()


def sign_in(cloud: LocalCloud, client_output: str) -> str:
    """An ID token of dana's, issued to the app client the output names."""
    assert cloud.stack is not None
    cognito = boto3.client("cognito-idp", endpoint_url=cloud.endpoint_url, region_name="us-east-1")
    pool = cloud.stack.outputs["UserPoolId"]
    token: str = cognito.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=cloud.stack.outputs[client_output],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "dana", "PASSWORD": "Http-Api-2026"},
    )["AuthenticationResult"]["IdToken"]
    return token


@pytest.fixture(scope="module")
def id_token(cloud: LocalCloud) -> str:
    assert cloud.stack is not None
    cognito = boto3.client("cognito-idp", endpoint_url=cloud.endpoint_url, region_name="us-east-1")
    pool = cloud.stack.outputs["UserPoolId"]
    cognito.admin_create_user(UserPoolId=pool, Username="dana", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="dana", Password="Http-Api-2026", Permanent=True
    )
    return sign_in(cloud, "UserPoolClientId")


def test_a_token_for_the_app_client_reaches_the_function_as_a_2_0_event(
    cloud: LocalCloud, id_token: str
) -> None:
    answer = requests.get(
        f"{cloud.api_url}/items/i-7?size=s&size=m",
        headers={"Authorization": f"Bearer {id_token}", "Cookie": "a=1; b=2"},
        timeout=30,
    )

    assert answer.status_code == 200
    assert answer.headers["Set-Cookie"] == "seen=1; Path=/"
    event = answer.json()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{itemId}"
    assert event["rawPath"] == "/items/i-7"
    assert event["rawQueryString"] == "size=s&size=m"
    assert event["queryStringParameters"] == {"size": "s,m"}
    assert event["pathParameters"] == {"itemId": "i-7"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["authorization"] == f"Bearer {id_token}"
    context = event["requestContext"]
    assert context["stage"] == "$default"
    assert context["http"]["method"] == "GET"
    assert context["http"]["path"] == "/items/i-7"
    claims = context["authorizer"]["jwt"]["claims"]
    assert cloud.stack is not None
    assert claims["cognito:username"] == "dana"
    assert claims["aud"] == cloud.stack.outputs["UserPoolClientId"]


def test_no_token_a_forged_one_or_one_for_another_audience_is_refused_with_401(
    cloud: LocalCloud, id_token: str
) -> None:
    claims = jwt.decode(id_token, options={"verify_signature": False})
    forged = jwt.encode(claims, "a key that is not the pool's but long enough", algorithm="HS256")
    other_client = sign_in(cloud, "OtherClientId")

    anonymous = requests.get(f"{cloud.api_url}/items/i-7", timeout=30)
    forging = requests.get(
        f"{cloud.api_url}/items/i-7", headers={"Authorization": forged}, timeout=30
    )

    for_another_client = requests.get(
        f"{cloud.api_url}/items/i-7", headers={"Authorization": other_client}, timeout=30
    )

    assert anonymous.status_code == 401
    assert anonymous.json() == {"message": "Unauthorized"}
    assert forging.status_code == 401
    assert for_another_client.status_code == 401


def test_a_public_route_answers_a_bare_result_as_a_200_json_body(cloud: LocalCloud) -> None:
    answer = requests.get(f"{cloud.api_url}/health", timeout=30)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"status": "ok", "route": "GET /health"}


def test_a_request_no_route_matches_is_not_found_as_http_apis_answer(cloud: LocalCloud) -> None:
    answer = requests.get(f"{cloud.api_url}/no/such/route", timeout=30)

    assert answer.status_code == 404
    assert answer.json() == {"message": "Not Found"}


def test_a_valid_token_without_the_routes_scope_is_forbidden(
    cloud: LocalCloud, id_token: str
) -> None:
    answer = requests.get(
        f"{cloud.api_url}/reports", headers={"Authorization": id_token}, timeout=30
    )

    assert answer.status_code == 403
    assert answer.json() == {"message": "Forbidden"}
