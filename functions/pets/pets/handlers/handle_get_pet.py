"""GET /pets/{petId} (public): one pet, with its stock."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pets.logic.get_pet import get_pet
from pets.models import Pet
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.get(
    "/pets/<petId>",
    operation_id="getPet",
    summary="Get one pet",
    tags=["pets"],
    responses={200: {"description": "The pet"}, **documented_errors(404, 422)},
)
def get_one_pet(pet_id: Annotated[str, Path(alias="petId", max_length=100)]) -> Pet:
    return get_pet(pet_id)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
