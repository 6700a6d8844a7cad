"""DELETE /pets/{petId} (admin): take a pet off sale; orders already placed are unaffected."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pets.logic.delete_pet import delete_pet
from petstore_shared.caller_identity import CallerIdentity, admin_caller
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import ADMIN_USER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.delete(
    "/pets/<petId>",
    operation_id="deletePet",
    summary="Remove a pet (admin)",
    tags=["pets"],
    security=ADMIN_USER,
    responses={204: {"description": "Removed"}, **documented_errors(403, 404, 409, 422)},
)
def delete_one_pet(
    pet_id: Annotated[str, Path(alias="petId", max_length=100)],
    admin: Annotated[CallerIdentity, Depends(admin_caller)],
) -> Response[None]:
    delete_pet(pet_id)
    logger.info("Pet deleted", extra={"pet_id": pet_id, "admin": admin.user_id})
    return Response(status_code=204)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
