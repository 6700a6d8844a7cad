"""The orders app's handlers."""

import json
import os
import uuid

import boto3


def place_order(event, context):
    order = json.loads(event.get("body") or "{}")
    order["orderId"] = order.get("orderId") or str(uuid.uuid4())
    order["environment"] = os.environ["ENVIRONMENT"]
    order["greeting"] = os.environ["GREETING"]
    queue_url = os.environ["QUEUE_URL"]
    boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(order))
    print(f"queued order {order['orderId']}")
    return {"statusCode": 202, "body": json.dumps({"orderId": order["orderId"]})}


def get_order(event, context):
    order_id = event["pathParameters"]["orderId"]
    item = (
        boto3.resource("dynamodb")
        .Table(os.environ["TABLE_NAME"])
        .get_item(Key={"orderId": order_id})
        .get("Item")
    )
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"message": f"no order {order_id}"})}
    return {"statusCode": 200, "body": json.dumps(item)}


def store_orders(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    for record in event["Records"]:
        table.put_item(Item=json.loads(record["body"]))


def broken(event, context):
    print("about to fail")
    raise ValueError(f"cannot handle {event.get('what', 'this')}")
