"""Names of the API's security schemes, as routes declare them (`security=...`), and
their OpenAPI definitions for the generated document."""

from __future__ import annotations

from typing import Any

from petstore_shared.caller_identity import ADMIN_GROUP

COGNITO_JWT = "cognitoJwt"
SIGV4 = "sigv4"

SIGNED_IN_USER: list[dict[str, list[str]]] = [{COGNITO_JWT: []}]
"""A Cognito user pool token in `Authorization`."""

ADMIN_USER: list[dict[str, list[str]]] = [{COGNITO_JWT: [ADMIN_GROUP]}]
"""A Cognito user pool token of a member of the `admin` group (OpenAPI 3.1 lets a
non-OAuth requirement list the roles it needs)."""

IAM_CALLER: list[dict[str, list[str]]] = [{SIGV4: []}]
"""An AWS SigV4-signed request (API Gateway `AWS_IAM` auth)."""

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    COGNITO_JWT: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An ID token from the pet store's Cognito user pool.",
    },
    SIGV4: {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "description": "AWS Signature Version 4 (API Gateway AWS_IAM authorization).",
        "x-amazon-apigateway-authtype": "awsSigv4",
    },
}


def groups_required(security: list[dict[str, list[str]]] | None) -> frozenset[str] | None:
    """The Cognito groups a route's `security` asks its caller to be in, or None when it
    asks for no signed-in user (each route declares one requirement)."""
    requirement = next((each for each in security or [] if COGNITO_JWT in each), None)
    return None if requirement is None else frozenset(requirement[COGNITO_JWT])
