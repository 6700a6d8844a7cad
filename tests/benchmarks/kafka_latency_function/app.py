"""Prints the moment the handler starts, for each Kafka record's value (a sample number)."""

import base64
import time


def handler(event, context):
    started = time.time()
    for records in event["records"].values():
        for record in records:
            print(f"handler-start {base64.b64decode(record['value']).decode()} {started:.6f}")
