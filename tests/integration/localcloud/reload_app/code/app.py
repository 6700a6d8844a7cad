import json
import os

import boto3

VERSION = "v1"
TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    item_id = event["pathParameters"]["id"]
    if event["httpMethod"] == "PUT":
        TABLE.put_item(Item={"id": item_id})
    found = "Item" in TABLE.get_item(Key={"id": item_id})
    return {"statusCode": 200, "body": json.dumps({"version": VERSION, "found": found})}
