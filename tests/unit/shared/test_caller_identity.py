"""The caller, read from the Cognito claims API Gateway passes in the event."""

from __future__ import annotations

import pytest

from petstore_shared.caller_identity import (
    CallerIdentity,
    caller_from_event,
    parse_cognito_groups,
    require_admin,
)
from petstore_shared.domain_errors import Forbidden, Unauthorized


@pytest.mark.parametrize(
    ("raw", "groups"),
    [
        ("admin", {"admin"}),
        ("admin,other", {"admin", "other"}),
        ("[admin other]", {"admin", "other"}),
        ("[admin, other]", {"admin", "other"}),
        ("[admin]", {"admin"}),
        (" admin , other ", {"admin", "other"}),
        (["admin", "other"], {"admin", "other"}),
        ("", set()),
        ("[]", set()),
        (None, set()),
    ],
)
def test_cognito_groups_are_read_in_every_shape_api_gateway_sends(raw, groups):
    assert parse_cognito_groups(raw) == groups


def test_caller_comes_from_the_authorizer_claims():
    event = {
        "requestContext": {
            "authorizer": {
                "claims": {
                    "sub": "sub-1",
                    "cognito:username": "alice",
                    "cognito:groups": "[admin other]",
                }
            }
        }
    }

    caller = caller_from_event(event)

    assert caller == CallerIdentity(
        user_id="sub-1", username="alice", groups=frozenset({"admin", "other"})
    )
    assert caller.is_admin


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


def test_a_group_merely_containing_the_word_admin_is_not_admin():
    caller = CallerIdentity(
        user_id="sub-3", username="eve", groups=parse_cognito_groups("[administrators notadmin]")
    )

    assert not caller.is_admin
