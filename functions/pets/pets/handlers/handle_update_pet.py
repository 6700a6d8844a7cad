"""PUT /pets/{petId} (admin): replace a pet's details, under optimistic concurrency."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pets.logic.update_pet import update_pet
from pets.models import Pet, PetReplacement
from petstore_shared.caller_identity import CallerIdentity, admin_caller
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import ADMIN_USER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.put(
    "/pets/<petId>",
    operation_id="updatePet",
    summary="Replace a pet's details (admin)",
    description="`version` must be the pet's current version; otherwise 409 VersionConflict.",
    tags=["pets"],
    security=ADMIN_USER,
    responses={
        200: {"description": "The pet, at its next version"},
        **documented_errors(400, 403, 404, 409, 413, 422),
    },
)
def put_pet(
    pet_id: Annotated[str, Path(alias="petId", max_length=100)],
    replacement: Annotated[PetReplacement, Body()],
    admin: Annotated[CallerIdentity, Depends(admin_caller)],
) -> Pet:
    pet = update_pet(pet_id, replacement, replacement.version)
    logger.info("Pet updated", extra={"pet_id": pet.id, "admin": admin.user_id})
    return pet


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
