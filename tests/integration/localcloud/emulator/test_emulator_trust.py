"""The emulator serves only the local cloud that started it: AWS calls signed with the
run's own key (the signature checked with its secret), the emulator's own addresses with
the run's control secret, and to anyone only what AWS serves to anyone."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from localcloud.emulator.access import this_run
from localcloud.emulator.process import Emulator

pytestmark = pytest.mark.integration

REGION = "us-east-1"
SCAN = json.dumps({"TableName": "payments"})


def _client(emulator: Emulator, service: str, key: str, secret: str) -> object:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=emulator.endpoint_url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"total_max_attempts": 1}),
    )


def _scan(emulator: Emulator, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        emulator.endpoint_url,
        data=SCAN,
        headers={
            "X-Amz-Target": "DynamoDB_20120810.Scan",
            "Content-Type": "application/x-amz-json-1.0",
            **headers,
        },
        timeout=10,
    )


def _signed_headers(emulator: Emulator, key: str, secret: str) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=emulator.endpoint_url + "/",
        data=SCAN,
        headers={
            "X-Amz-Target": "DynamoDB_20120810.Scan",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    SigV4Auth(Credentials(key, secret), "dynamodb", REGION).add_auth(request)
    return dict(request.headers.items())


@pytest.fixture
def payments(emulator: Emulator) -> Iterator[str]:
    run = this_run()
    dynamodb = _client(emulator, "dynamodb", run.access_key_id, run.secret_access_key)
    dynamodb.create_table(  # type: ignore[attr-defined]
        TableName="payments",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="payments", Item={"id": {"S": "card-4242"}})  # type: ignore[attr-defined]
    yield "payments"
    dynamodb.delete_table(TableName="payments")  # type: ignore[attr-defined]


def test_a_call_signed_with_the_runs_credentials_is_served(
    emulator: Emulator, payments: str
) -> None:
    run = this_run()

    answer = _scan(emulator, _signed_headers(emulator, run.access_key_id, run.secret_access_key))

    assert answer.status_code == 200
    assert answer.json()["Items"] == [{"id": {"S": "card-4242"}}]


def test_an_unsigned_call_is_refused(emulator: Emulator, payments: str) -> None:
    answer = _scan(emulator, {})

    assert answer.status_code == 400
    assert answer.json()["__type"] == "MissingAuthenticationTokenException"
    assert "card-4242" not in answer.text


def test_a_call_naming_an_unknown_key_with_any_signature_is_refused(
    emulator: Emulator, payments: str
) -> None:
    answer = _scan(
        emulator,
        {
            "X-Amz-Date": _signed_headers(emulator, "nobody", "x")["X-Amz-Date"],
            "Authorization": "AWS4-HMAC-SHA256 Credential=nobody/20260101/us-east-1/dynamodb/"
            "aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        },
    )

    assert answer.status_code == 400
    assert answer.json()["__type"] == "UnrecognizedClientException"
    assert "card-4242" not in answer.text


def test_a_call_naming_the_runs_key_but_signed_with_another_secret_is_refused(
    emulator: Emulator, payments: str
) -> None:
    dynamodb = _client(emulator, "dynamodb", this_run().access_key_id, "not-the-secret")

    with pytest.raises(ClientError) as refused:
        dynamodb.scan(TableName=payments)  # type: ignore[attr-defined]

    assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_a_query_protocol_call_with_unknown_credentials_gets_the_query_error(
    emulator: Emulator,
) -> None:
    sns = _client(emulator, "sns", "nobody", "nothing")

    with pytest.raises(ClientError) as refused:
        sns.list_topics()  # type: ignore[attr-defined]

    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_changed_body_under_a_valid_signature_is_refused(
    emulator: Emulator, payments: str
) -> None:
    run = this_run()
    headers = _signed_headers(emulator, run.access_key_id, run.secret_access_key)

    answer = requests.post(
        emulator.endpoint_url,
        data=json.dumps({"TableName": "payments", "Limit": 1}),
        headers=headers,
        timeout=10,
    )

    assert answer.json()["__type"] == "InvalidSignatureException"


def test_cognito_sign_up_and_sign_in_are_served_unsigned_as_on_aws(emulator: Emulator) -> None:
    run = this_run()
    cognito = _client(emulator, "cognito-idp", run.access_key_id, run.secret_access_key)
    pool = cognito.create_user_pool(PoolName=f"trust-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]  # type: ignore[attr-defined]
    client_id = cognito.create_user_pool_client(  # type: ignore[attr-defined]
        UserPoolId=pool,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    unsigned = boto3.client(
        "cognito-idp",
        endpoint_url=emulator.endpoint_url,
        region_name=REGION,
        config=Config(signature_version=UNSIGNED),
    )

    unsigned.sign_up(ClientId=client_id, Username="carol@example.com", Password="Passw0rd!long")
    cognito.admin_confirm_sign_up(UserPoolId=pool, Username="carol@example.com")  # type: ignore[attr-defined]
    tokens = unsigned.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol@example.com", "PASSWORD": "Passw0rd!long"},
    )["AuthenticationResult"]
    keys = requests.get(f"{emulator.endpoint_url}/{pool}/.well-known/jwks.json", timeout=10)

    assert tokens["IdToken"]
    assert keys.status_code == 200
    with pytest.raises(ClientError) as refused:
        unsigned.admin_add_user_to_group(
            UserPoolId=pool, Username="carol@example.com", GroupName="admins"
        )
    assert refused.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"


@pytest.mark.parametrize("signature_version", ["s3", "s3v4"])
def test_a_presigned_url_of_the_run_works_and_a_tampered_one_is_refused(
    emulator: Emulator, signature_version: str
) -> None:
    run = this_run()
    s3 = boto3.client(
        "s3",
        endpoint_url=emulator.endpoint_url,
        region_name=REGION,
        aws_access_key_id=run.access_key_id,
        aws_secret_access_key=run.secret_access_key,
        config=Config(signature_version=signature_version),
    )
    bucket = f"responses-{signature_version}"
    _client(emulator, "s3", run.access_key_id, run.secret_access_key).create_bucket(  # type: ignore[attr-defined]
        Bucket=bucket
    )
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "a"})

    accepted = requests.put(url, data=b"{}", timeout=10)
    tampered = requests.put(url.replace("/a?", "/b?"), data=b"{}", timeout=10)

    assert accepted.status_code == 200
    assert tampered.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in tampered.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/moto-api/reset"),
        ("GET", "/moto-api/data.json"),
        ("GET", "/_localcloud/cognito-idp/sent-messages"),
    ],
)
def test_the_emulators_own_addresses_are_refused_without_the_control_secret(
    emulator: Emulator, payments: str, method: str, path: str
) -> None:
    refused = requests.request(method, emulator.endpoint_url + path, timeout=10)
    wrong = requests.request(
        method,
        emulator.endpoint_url + path,
        headers={"X-Localcloud-Control-Secret": "guess"},
        timeout=10,
    )

    run = this_run()
    after = _scan(emulator, _signed_headers(emulator, run.access_key_id, run.secret_access_key))

    assert (refused.status_code, wrong.status_code) == (403, 403)
    assert after.json()["Items"], "nothing was reset"


def test_the_data_dump_holds_no_password(emulator: Emulator) -> None:
    run = this_run()
    cognito = _client(emulator, "cognito-idp", run.access_key_id, run.secret_access_key)
    pool = cognito.create_user_pool(PoolName="dump")["UserPool"]["Id"]  # type: ignore[attr-defined]
    cognito.admin_create_user(  # type: ignore[attr-defined]
        UserPoolId=pool, Username="dave", TemporaryPassword="Secret-Pa55word"
    )

    dump = requests.get(
        f"{emulator.endpoint_url}/moto-api/data.json", headers=run.control_headers(), timeout=10
    )

    assert dump.status_code == 200
    assert "dave" in dump.text
    assert "Secret-Pa55word" not in dump.text
