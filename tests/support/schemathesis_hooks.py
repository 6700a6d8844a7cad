"""Schemathesis hooks (SCHEMATHESIS_HOOKS=support.schemathesis_hooks) that call the pet
store as its document says each route is called: a Cognito ID token of a member of the
groups the route's security lists (the admin's for `cognitoJwt: [admin]`, a shopper's for
`cognitoJwt: []`), a SigV4 signature on `sigv4` routes, nothing on public ones.

The tokens and the region come from the environment (PETSTORE_ADMIN_TOKEN,
PETSTORE_SHOPPER_TOKEN, AWS_REGION), so that the same hooks serve the CLI and tests."""

from __future__ import annotations

import os
from typing import Any

import requests
import schemathesis

from localcloud.apigateway.authorizers.sigv4 import sign_request
from localcloud.emulator.process import LOCAL_CREDENTIALS

COGNITO_JWT = "cognitoJwt"
SIGV4 = "sigv4"


def security_of(case: Any) -> list[dict[str, list[str]]]:
    security: list[dict[str, list[str]]] = case.operation.definition.raw.get("security") or []
    return security


class SigV4(requests.auth.AuthBase):
    """Signs the request exactly as it goes out, as an internal caller signs it."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        assert request.method is not None and request.url is not None
        signed = sign_request(
            request.method,
            request.url,
            request.body,
            {name: str(value) for name, value in request.headers.items()},
            access_key=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            secret_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region=os.environ.get("AWS_REGION", "us-east-1"),
        )
        request.headers.update(signed)
        return request


SIGN_ON_SENDING = "sign-on-sending"
"""What the auth provider puts in Authorization on a SigV4 route: the signature covers
the bytes sent, so `before_call` signs the request as it goes out. A case schemathesis
sends without the provider's credentials (to check that they are required) carries no
such mark and goes out unsigned."""


@schemathesis.auth(refresh_interval=None)
class PetStoreCredentials:
    """The credentials the route's security requirement asks for."""

    def get(self, case: Any, context: Any) -> str | None:
        for requirement in security_of(case):
            if SIGV4 in requirement:
                return SIGN_ON_SENDING
            if COGNITO_JWT in requirement:
                admin = bool(requirement[COGNITO_JWT])
                token = os.environ["PETSTORE_ADMIN_TOKEN" if admin else "PETSTORE_SHOPPER_TOKEN"]
                return f"Bearer {token}"
        return None

    def set(self, case: Any, data: str | None, context: Any) -> None:
        if data is not None:
            case.headers = {**(case.headers or {}), "Authorization": data}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if (case.headers or {}).get("Authorization") == SIGN_ON_SENDING:
        case.headers = {k: v for k, v in case.headers.items() if k != "Authorization"}
        kwargs["auth"] = SigV4()
