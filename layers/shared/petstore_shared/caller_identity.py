"""Who is calling: the Cognito claims API Gateway's authorizer puts in
`requestContext.authorizer.claims`.

API Gateway has already verified the token (or refused the call with 401); this module
only reads the claims and answers authorization questions about them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

# Imported at run time, not only for type checking: Powertools finds the parameter to
# inject the request into by resolving the dependency's type hints.
from aws_lambda_powertools.event_handler.request import Request

from petstore_shared.domain_errors import Forbidden, Unauthorized

ADMIN_GROUP = "admin"
GROUPS_CLAIM = "cognito:groups"
OWN_USER_ID = "me"
"""Written in a `/user/{userId}` path for the caller's own id, which a shopper rarely
knows: it is the token's `sub`, not the name they sign in with."""


@dataclass(frozen=True)
class CallerIdentity:
    user_id: str
    """The `sub` claim: stable, unique, never reused."""
    username: str
    groups: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups


def groups_of(claims: Mapping[str, Any], authorization: str | None) -> frozenset[str]:
    """The caller's Cognito groups, each name exactly as the user pool has it.

    API Gateway's REST Cognito authorizer writes a list claim as its items joined by ","
    (["support", "admin"] -> "support,admin"), which cannot tell two groups from one
    group whose name holds a comma: Cognito allows any punctuation in a group's name. The
    names are therefore read from the ID token itself, the `Authorization` header API
    Gateway has just verified, when its `sub` and its groups written that way are the
    claims'. Without such a token the claim is one name as written, so an ambiguous
    claim never grants more than it says."""
    rendered = claims.get(GROUPS_CLAIM)
    if not rendered:
        return frozenset()
    listed = _groups_in_token(authorization, claims.get("sub"))
    if listed is not None and ",".join(listed) == rendered:
        return frozenset(listed)
    return frozenset({str(rendered)})


def _groups_in_token(authorization: str | None, sub: object) -> list[str] | None:
    """The `cognito:groups` list of the bearer token's payload, if it is the token of
    `sub`; None when there is no such token or list."""
    token = (authorization or "").strip()
    scheme, _, rest = token.partition(" ")
    if scheme.lower() == "bearer":
        token = rest.strip()
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("sub") != sub:
        return None
    groups = payload.get(GROUPS_CLAIM)
    if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
        return None
    return groups


def caller_from_claims(
    claims: Mapping[str, Any] | None, authorization: str | None = None
) -> CallerIdentity:
    if not claims or not claims.get("sub"):
        raise Unauthorized("This operation needs a signed-in caller.")
    return CallerIdentity(
        user_id=str(claims["sub"]),
        username=str(claims.get("cognito:username") or claims.get("username") or ""),
        groups=groups_of(claims, authorization),
    )


def caller_from_event(event: Mapping[str, Any]) -> CallerIdentity:
    """The caller of a REST API (v1) proxy event."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    headers = event.get("headers") or {}
    authorization = next(
        (value for name, value in headers.items() if name.lower() == "authorization"), None
    )
    return caller_from_claims(authorizer.get("claims"), authorization)


def user_id_meant(caller: CallerIdentity, user_id: str) -> str:
    """The user a `/user/{userId}` path names: `me` is the caller."""
    return caller.user_id if user_id == OWN_USER_ID else user_id


def require_groups(caller: CallerIdentity, groups: Collection[str]) -> CallerIdentity:
    missing = sorted(set(groups) - caller.groups)
    if missing:
        names = ", ".join(f"'{group}'" for group in missing)
        raise Forbidden(f"Only members of the {names} group may do this.")
    return caller


def require_admin(caller: CallerIdentity) -> CallerIdentity:
    return require_groups(caller, [ADMIN_GROUP])


def signed_in_caller(request: Request) -> CallerIdentity:
    """For route parameters: `caller: Annotated[CallerIdentity, Depends(signed_in_caller)]`."""
    return caller_from_event(request.resolved_event.raw_event)


def admin_caller(request: Request) -> CallerIdentity:
    """For route parameters: `admin: Annotated[CallerIdentity, Depends(admin_caller)]`."""
    return require_admin(signed_in_caller(request))
