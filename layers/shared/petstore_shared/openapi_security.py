"""Names of the API's security schemes, as routes declare them (`security=...`), and
their OpenAPI definitions for the generated document."""

from __future__ import annotations

from typing import Any

COGNITO_JWT = "cognitoJwt"
SIGV4 = "sigv4"

SIGNED_IN_USER: list[dict[str, list[str]]] = [{COGNITO_JWT: []}]
"""A Cognito user pool token in `Authorization` (admin routes check the group themselves)."""

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
