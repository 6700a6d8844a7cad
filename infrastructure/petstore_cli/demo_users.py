"""The demo shoppers `alice` and `bob`, and the store admin `admin`: users of the pool who
sign in with their e-mail address (the pool's UsernameAttributes), known here by name."""

from __future__ import annotations

import base64
import contextlib
import json
from dataclasses import dataclass
from typing import Any

DEMO_PASSWORD = "PetStore-Demo-2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    email: str
    groups: tuple[str, ...] = ()


DEMO_USERS = (
    DemoUser("alice", "alice@example.com"),
    DemoUser("bob", "bob@example.com"),
    DemoUser("admin", "admin@example.com", groups=("admin",)),
)


class UnknownUserError(Exception):
    def __init__(self, username: str) -> None:
        known = ", ".join(user.username for user in DEMO_USERS)
        super().__init__(f"No demo user {username!r}; the demo users are {known}.")


def create_demo_users(cognito: Any, pool_id: str) -> None:
    """Create the demo users with a permanent password and a verified e-mail address; safe
    to call again."""
    for user in DEMO_USERS:
        with contextlib.suppress(cognito.exceptions.UsernameExistsException):
            cognito.admin_create_user(
                UserPoolId=pool_id,
                Username=user.email,
                MessageAction="SUPPRESS",
                UserAttributes=[
                    {"Name": "email", "Value": user.email},
                    {"Name": "email_verified", "Value": "true"},
                ],
            )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=user.email, Password=DEMO_PASSWORD, Permanent=True
        )
        for group in user.groups:
            cognito.admin_add_user_to_group(
                UserPoolId=pool_id, Username=user.email, GroupName=group
            )


def id_token(cognito: Any, client_id: str, username: str) -> str:
    """Sign a demo user in as any shopper does (USER_PASSWORD_AUTH with the e-mail address)
    and return the IdToken."""
    demo_user = next((user for user in DEMO_USERS if user.username == username), None)
    if demo_user is None:
        raise UnknownUserError(username)
    answer = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": demo_user.email, "PASSWORD": DEMO_PASSWORD},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def user_id_in(token: str) -> str:
    """The `sub` claim of an IdToken Cognito has just issued (its signature is the API's to
    check, not this command's)."""
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])
