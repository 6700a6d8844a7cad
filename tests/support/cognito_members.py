"""Users of the local cloud's user pool in groups a test names, signed in as any shopper
signs in, with an API client carrying their ID token."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

import boto3

from support.api_client import ApiClient

if TYPE_CHECKING:
    from support.saga_http import Shop

MEMBER_PASSWORD = "PetStore-Member-2026"


def member_of(shop: Shop, groups: Sequence[str]) -> ApiClient:
    """A new user in each of `groups` (created if the pool lacks them), signed in."""
    cognito = boto3.client(
        "cognito-idp", endpoint_url=shop.cloud.endpoint_url, region_name=shop.cloud.config.region
    )
    pool_id, client_id = shop.outputs("UserPoolId"), shop.outputs("UserPoolClientId")
    email = f"member-{uuid.uuid4().hex[:12]}@example.com"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=email, Password=MEMBER_PASSWORD, Permanent=True
    )
    for group in groups:
        with contextlib.suppress(cognito.exceptions.GroupExistsException):
            cognito.create_group(UserPoolId=pool_id, GroupName=group)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    answer = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": MEMBER_PASSWORD},
    )
    token = str(answer["AuthenticationResult"]["IdToken"])
    return ApiClient(shop.cloud.api_url, shop.cloud.config.region, token)
