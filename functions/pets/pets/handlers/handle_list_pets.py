"""GET /pets (public): pets for sale, filtered by status and species, a page at a time."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pets.logic.list_pets import list_pets
from pets.models import PetPage, PetStatus, Species
from petstore_shared.http_errors import documented_errors
from petstore_shared.listing_parameters import NextToken, PageLimit
from petstore_shared.observability import logger, metrics
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.get(
    "/pets",
    operation_id="listPets",
    summary="List pets for sale",
    tags=["pets"],
    responses={200: {"description": "One page of pets"}, **documented_errors(400, 422)},
)
def get_pets(
    status: Annotated[PetStatus, Query()] = PetStatus.AVAILABLE,
    species: Annotated[Species | None, Query()] = None,
    limit: PageLimit = 20,
    next_token: NextToken = None,
) -> PetPage:
    return list_pets(status, species, limit, next_token)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
