"""The parameters every paged listing of the API takes, for route signatures:
`limit: PageLimit = 20, next_token: NextToken = None`, and `user_id: UserIdInPath` for a
listing of one user's items."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

PageLimit = Annotated[int, Query(ge=1, le=100)]
NextToken = Annotated[str | None, Query(alias="nextToken", description="From the previous page.")]
UserIdInPath = Annotated[
    str,
    Path(
        alias="userId",
        max_length=100,
        description=(
            "The user's id, the `sub` claim of their ID token (`petstore token USER` prints "
            "it locally), or `me` for the caller's own."
        ),
    ),
]
