"""Consumer of the e-mail feedback queue: SES's bounces and complaints, each as the JSON
SES writes (raw SNS delivery), mark their addresses not deliverable."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from notifications.dal.email_deliveries import email_deliveries_from_environment
from notifications.logic.record_email_feedback import record_email_feedback
from petstore_shared.observability import logger, metrics

processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)


def record_feedback(record: SQSRecord) -> None:
    marked = record_email_feedback(record.body, deliveries=email_deliveries_from_environment())
    if marked:
        logger.warning("Addresses not deliverable", extra={"addresses": len(marked)})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event, record_feedback, processor, context)
