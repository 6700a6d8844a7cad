"""GET /notifications/user/{userId} (that shopper or an admin): the user's
notifications, newest first, a page at a time."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.utilities.typing import LambdaContext

from notifications.dal.notifications_table import notifications_table_from_environment
from notifications.logic.read_notifications import list_user_notifications
from notifications.models import NotificationPage
from petstore_shared.caller_identity import CallerIdentity, signed_in_caller
from petstore_shared.http_errors import documented_errors
from petstore_shared.listing_parameters import NextToken, PageLimit, UserIdInPath
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import SIGNED_IN_USER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.get(
    "/notifications/user/<userId>",
    operation_id="listUserNotifications",
    summary="List a shopper's notifications, newest first",
    tags=["notifications"],
    security=SIGNED_IN_USER,
    responses={
        200: {"description": "One page of notifications"},
        **documented_errors(400, 401, 403, 422),
    },
)
def get_user_notifications(
    user_id: UserIdInPath,
    caller: Annotated[CallerIdentity, Depends(signed_in_caller)],
    limit: PageLimit = 20,
    next_token: NextToken = None,
) -> NotificationPage:
    return list_user_notifications(
        caller, user_id, limit, next_token, notifications=notifications_table_from_environment()
    )


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
