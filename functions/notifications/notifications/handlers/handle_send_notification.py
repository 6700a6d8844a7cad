"""POST /notifications (internal callers, SigV4 only): send a custom notification to a
shopper. API Gateway has verified the IAM signature; shopper tokens never get here."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from notifications.channels.every_channel import every_channel_from_environment
from notifications.dal.notifications_table import notifications_table_from_environment
from notifications.logic.send_notifications import send_custom_notification
from notifications.models import CustomNotificationRequest, Notification
from petstore_shared.http_errors import documented_errors
from petstore_shared.observability import logger, metrics
from petstore_shared.openapi_security import IAM_CALLER
from petstore_shared.rest_api import create_rest_resolver

app = create_rest_resolver()


@app.post(
    "/notifications",
    operation_id="sendNotification",
    summary="Send a custom notification to a shopper (internal)",
    tags=["notifications"],
    security=IAM_CALLER,
    responses={201: {"description": "The notification, sent"}, **documented_errors(400, 413, 422)},
)
def post_notification(
    request: Annotated[CustomNotificationRequest, Body()],
) -> Response[Notification]:
    sent = send_custom_notification(
        request,
        notifications=notifications_table_from_environment(),
        channel=every_channel_from_environment(),
    )
    metrics.add_metric(name="NotificationsSent", unit=MetricUnit.Count, value=1)
    caller = app.current_event.request_context.identity.user_arn
    logger.info("Custom notification sent", extra={"caller": caller})
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=sent)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
