"""The caller, read from the Cognito claims API Gateway passes in the event.

API Gateway's REST Cognito authorizer writes `cognito:groups` as the names joined by ","
(["support", "admin"] -> "support,admin"); the names themselves come from the verified
ID token in `Authorization`, so that a group whose name holds a comma, brackets or spaces
is one group, matched exactly."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from petstore_shared.caller_identity import (
    CallerIdentity,
    caller_from_event,
    groups_of,
    require_admin,
)
from petstore_shared.domain_errors import Forbidden, Unauthorized


def id_token(payload: dict[str, Any]) -> str:
    """A token shaped as Cognito's (the signature is API Gateway's business)."""

    def part(document: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(payload)}.c2lnbmF0dXJl"


def event_of(groups: list[str], *, sub: str = "sub-1", token_sub: str | None = None) -> dict:
    """A REST proxy event as API Gateway builds it for a member of `groups`."""
    token = id_token({"sub": token_sub or sub, "cognito:groups": groups})
    return {
        "headers": {"Authorization": f"Bearer {token}"},
        "requestContext": {
            "authorizer": {
                "claims": {"sub": sub, "cognito:username": "u", "cognito:groups": ",".join(groups)}
            }
        },
    }


@pytest.mark.parametrize(
    "groups",
    [
        ["admin"],
        ["support", "admin"],
        ["admin", "staff"],
    ],
)
def test_a_member_of_the_admin_group_is_admin(groups):
    assert caller_from_event(event_of(groups)).is_admin


@pytest.mark.parametrize(
    "groups",
    [
        ["[admin]"],
        ["support,admin"],
        ["admin,support"],
        ["[admin, support]"],
        ["admin staff"],
        [" admin"],
        ["Admin"],
        ["administrators", "notadmin"],
        ["support", "[admin]"],
    ],
)
def test_a_group_whose_name_only_contains_admin_is_not_admin(groups):
    caller = caller_from_event(event_of(groups))

    assert caller.groups == frozenset(groups)
    assert not caller.is_admin


def test_a_token_of_another_user_is_not_read():
    event = event_of(["support", "admin"], token_sub="someone-else")

    assert caller_from_event(event).groups == {"support,admin"}


def test_a_token_whose_groups_are_not_the_claim_is_not_read():
    event = event_of(["support,admin"])
    event["requestContext"]["authorizer"]["claims"]["cognito:groups"] = "admin"

    assert caller_from_event(event).groups == {"admin"}


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "not.a.token", "a.%%%.c"])
def test_without_a_readable_token_the_claim_is_one_name_as_written(authorization):
    claims = {"sub": "sub-1", "cognito:groups": "support,admin"}

    assert groups_of(claims, authorization) == {"support,admin"}
    assert groups_of({"sub": "sub-1", "cognito:groups": "admin"}, authorization) == {"admin"}


def test_a_raw_token_without_the_bearer_scheme_is_read():
    token = id_token({"sub": "sub-1", "cognito:groups": ["support", "admin"]})

    assert groups_of({"sub": "sub-1", "cognito:groups": "support,admin"}, token) == {
        "support",
        "admin",
    }


def test_no_groups_claim_is_no_group():
    assert groups_of({"sub": "sub-1"}, None) == frozenset()


def test_caller_comes_from_the_authorizer_claims():
    caller = caller_from_event(event_of(["admin", "other"]))

    assert caller == CallerIdentity(
        user_id="sub-1", username="u", groups=frozenset({"admin", "other"})
    )


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"requestContext": {}},
        {"requestContext": {"authorizer": None}},
        {"requestContext": {"authorizer": {"claims": {}}}},
        {"requestContext": {"authorizer": {"claims": {"cognito:username": "no-sub"}}}},
    ],
)
def test_an_event_without_a_signed_in_caller_is_unauthorized(event):
    with pytest.raises(Unauthorized):
        caller_from_event(event)


def test_require_admin_refuses_a_caller_outside_the_admin_group():
    shopper = CallerIdentity(user_id="sub-1", username="alice", groups=frozenset({"shoppers"}))

    with pytest.raises(Forbidden):
        require_admin(shopper)


def test_require_admin_accepts_a_member_of_the_admin_group():
    admin = CallerIdentity(user_id="sub-2", username="root", groups=frozenset({"admin"}))

    assert require_admin(admin) is admin
