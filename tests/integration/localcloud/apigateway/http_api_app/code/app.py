"""Handlers of the HTTP API sample: one answers with the event it got, one with a bare
object (no statusCode), as HTTP API functions may."""

import json


def echo(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "cookies": ["seen=1; Path=/"],
        "body": json.dumps(event),
    }


def health(event, context):
    return {"status": "ok", "route": event["routeKey"]}
