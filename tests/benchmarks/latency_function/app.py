"""Prints the moment the handler starts, for each message body (a sample number)."""

import time


def handler(event, context):
    started = time.time()
    for record in event["Records"]:
        print(f"handler-start {record['body']} {started:.6f}")
