"""The stream publisher of the stream failures test app."""

import os
import time

import boto3


def publish(event, context):
    """Records each batch it is given (its keys, in order); fails the whole batch when a
    record is poisoned, as a publisher whose bus refuses an event does."""
    keys = [record["dynamodb"]["Keys"]["pk"]["S"] for record in event["Records"]]
    published = boto3.resource("dynamodb").Table(os.environ["PUBLISHED_TABLE_NAME"])
    published.put_item(Item={"pk": context.aws_request_id, "at": time.time_ns(), "keys": keys})
    if any("poison" in record["dynamodb"]["NewImage"] for record in event["Records"]):
        raise RuntimeError("the bus refused the event")
