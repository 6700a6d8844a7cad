"""Records every event it is invoked with in the table SEEN_TABLE names, one item per
invocation, so a test can tell what reached the function and what never did."""

import json
import os
import uuid

import boto3

seen = boto3.resource("dynamodb").Table(os.environ["SEEN_TABLE"])


def handler(event, context):
    seen.put_item(
        Item={
            "pk": str(uuid.uuid4()),
            "function": context.function_name,
            "event": json.dumps(event),
        }
    )
    return {"recorded": True}


def failing_handler(event, context):
    """Records the event, then fails, as a function with a bug does."""
    handler(event, context)
    raise RuntimeError("the alert could not be handled")
