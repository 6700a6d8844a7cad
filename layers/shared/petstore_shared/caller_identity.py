"""Who is calling: the Cognito claims API Gateway's authorizer puts in
`requestContext.authorizer.claims`.

API Gateway has already verified the token (or refused the call with 401); this module
only reads the claims and answers authorization questions about them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Imported at run time, not only for type checking: Powertools finds the parameter to
# inject the request into by resolving the dependency's type hints.
from aws_lambda_powertools.event_handler.request import Request

from petstore_shared.domain_errors import Forbidden, Unauthorized

ADMIN_GROUP = "admin"

_GROUP_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class CallerIdentity:
    user_id: str
    """The `sub` claim: stable, unique, never reused."""
    username: str
    groups: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups


def parse_cognito_groups(raw: object) -> frozenset[str]:
    """Read `cognito:groups` in every shape API Gateway has been seen to pass it:
    "admin", "admin,other", "[admin other]", "[admin, other]" or a JSON list."""
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple):
        return frozenset(str(group).strip() for group in raw if str(group).strip())
    text = str(raw).strip().removeprefix("[").removesuffix("]")
    return frozenset(group for group in _GROUP_SEPARATORS.split(text) if group)


def caller_from_claims(claims: Mapping[str, Any] | None) -> CallerIdentity:
    if not claims or not claims.get("sub"):
        raise Unauthorized("This operation needs a signed-in caller.")
    return CallerIdentity(
        user_id=str(claims["sub"]),
        username=str(claims.get("cognito:username") or claims.get("username") or ""),
        groups=parse_cognito_groups(claims.get("cognito:groups")),
    )


def caller_from_event(event: Mapping[str, Any]) -> CallerIdentity:
    """The caller of a REST API (v1) proxy event."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    return caller_from_claims(authorizer.get("claims"))


def require_admin(caller: CallerIdentity) -> CallerIdentity:
    if not caller.is_admin:
        raise Forbidden(f"Only members of the '{ADMIN_GROUP}' group may do this.")
    return caller


def signed_in_caller(request: Request) -> CallerIdentity:
    """For route parameters: `caller: Annotated[CallerIdentity, Depends(signed_in_caller)]`."""
    return caller_from_event(request.resolved_event.raw_event)


def admin_caller(request: Request) -> CallerIdentity:
    """For route parameters: `admin: Annotated[CallerIdentity, Depends(admin_caller)]`."""
    return require_admin(signed_in_caller(request))
