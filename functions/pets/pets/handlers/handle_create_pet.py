"""POST /pets (admin): add a pet to the catalogue."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pets.logic.create_pet import create_pet
from pets.models import Pet, PetDetails
from petstore_shared.caller_identity import CallerIdentity, admin_caller
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import ADMIN_USER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.post(
    "/pets",
    operation_id="createPet",
    summary="Add a pet (admin)",
    tags=["pets"],
    security=ADMIN_USER,
    responses={201: {"description": "The new pet"}, **documented_errors(400, 403, 413, 422)},
)
def post_pet(
    details: Annotated[PetDetails, Body()],
    admin: Annotated[CallerIdentity, Depends(admin_caller)],
) -> Response[Pet]:
    pet = create_pet(details)
    logger.info("Pet added", extra={"pet_id": pet.id, "admin": admin.user_id})
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=pet,
        headers={"Location": f"/pets/{pet.id}"},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
