"""The query parameters every paged listing of the API takes, for route signatures:
`limit: PageLimit = 20, next_token: NextToken = None`."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

PageLimit = Annotated[int, Query(ge=1, le=100)]
NextToken = Annotated[str | None, Query(alias="nextToken", description="From the previous page.")]
