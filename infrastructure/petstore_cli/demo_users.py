"""The demo shoppers `alice` and `bob`, and the store admin `admin`."""

from __future__ import annotations

import contextlib
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
    """Create the demo users with a permanent password; safe to call again."""
    for user in DEMO_USERS:
        with contextlib.suppress(cognito.exceptions.UsernameExistsException):
            cognito.admin_create_user(
                UserPoolId=pool_id,
                Username=user.username,
                MessageAction="SUPPRESS",
                UserAttributes=[
                    {"Name": "email", "Value": user.email},
                    {"Name": "email_verified", "Value": "true"},
                ],
            )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=user.username, Password=DEMO_PASSWORD, Permanent=True
        )
        for group in user.groups:
            cognito.admin_add_user_to_group(
                UserPoolId=pool_id, Username=user.username, GroupName=group
            )


def id_token(cognito: Any, pool_id: str, client_id: str, username: str) -> str:
    """Sign a demo user in against the user pool and return the IdToken."""
    if username not in {user.username for user in DEMO_USERS}:
        raise UnknownUserError(username)
    answer = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": DEMO_PASSWORD},
    )
    return str(answer["AuthenticationResult"]["IdToken"])
