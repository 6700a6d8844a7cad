"""The profile service's handler."""

import json
import os


def profile(event, context):
    claims = event["requestContext"]["authorizer"]["claims"]
    body = {"username": claims["cognito:username"], "pool": os.environ["MEMBERS_POOL_ID"]}
    return {"statusCode": 200, "body": json.dumps(body)}
