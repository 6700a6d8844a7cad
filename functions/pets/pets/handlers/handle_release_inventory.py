"""POST /pets/{petId}/releaseInventory (internal, SigV4): release a hold.

API Gateway has verified the caller's IAM signature; only the caller that made the hold
may release it. Releasing again answers the hold as it ended and changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from pets.handlers.signed_caller import signed_caller_arn
from pets.logic.hold_stock import release_hold
from pets.models import HoldReleaseRequest, InventoryHold
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import IAM_CALLER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.post(
    "/pets/<petId>/releaseInventory",
    operation_id="releaseInventory",
    summary="Release a hold made with decrementInventory (internal)",
    description=(
        "Gives the hold's stock back to the pet. Idempotent: a hold already released (or "
        "expired) is answered as it ended. A hold the order's saga took over is the "
        "order's: 409, cancel the order instead."
    ),
    tags=["pets"],
    security=IAM_CALLER,
    responses={
        200: {"description": "The hold, RELEASED (or EXPIRED, if it had expired first)"},
        **documented_errors(400, 403, 404, 409, 413, 422),
    },
)
def post_release_inventory(
    pet_id: Annotated[str, Path(alias="petId", max_length=100)],
    release_request: Annotated[HoldReleaseRequest, Body()],
    holder: Annotated[str, Depends(signed_caller_arn)],
) -> InventoryHold:
    return release_hold(pet_id, release_request.order_id, holder)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
