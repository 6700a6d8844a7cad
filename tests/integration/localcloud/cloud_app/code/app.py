"""Handlers of the local cloud's own test app."""

import json
import os
import time

import boto3


def show_environment(event, context):
    names = ["TABLE_NAME", "QUEUE_URL", "QUEUE_ARN", "STREAM_ARN", "GREETING", "AWS_ENDPOINT_URL"]
    body = {name: os.environ.get(name) for name in names}
    body["function_name"] = context.function_name
    body["request_id"] = context.aws_request_id
    body["log_stream_name"] = context.log_stream_name
    body["log_group_name"] = context.log_group_name
    body["trace_id"] = os.environ.get("_X_AMZN_TRACE_ID")
    body["event_trace_header"] = event["headers"]["X-Amzn-Trace-Id"]
    body["api_id"] = event["requestContext"]["apiId"]
    return {"statusCode": 200, "body": json.dumps(body)}


def who_am_i(event, context):
    claims = event["requestContext"]["authorizer"]["claims"]
    body = {"username": claims["cognito:username"], "userId": event["pathParameters"]["userId"]}
    return {"statusCode": 200, "body": json.dumps(body)}


def fail(event, context):
    raise RuntimeError("this handler always fails")


def sleep_past_timeout(event, context):
    time.sleep(30)


def store_jobs(event, context):
    """Stores each job as an item; a job named "poison" fails every time."""
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    failures = []
    for record in event["Records"]:
        if record["body"] == "poison":
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        table.put_item(Item={"pk": record["body"]})
    return {"batchItemFailures": failures}


def audit_new_items(event, context):
    audit = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE_NAME"])
    for record in event["Records"]:
        if record["eventName"] == "INSERT":
            audit.put_item(Item={"pk": record["dynamodb"]["Keys"]["pk"]["S"]})
