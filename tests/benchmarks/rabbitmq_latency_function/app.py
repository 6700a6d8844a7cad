"""Prints the moment the handler starts, for each RabbitMQ message's body (a sample number)."""

import base64
import time


def handler(event, context):
    started = time.time()
    for messages in event["rmqMessagesByQueue"].values():
        for message in messages:
            print(f"handler-start {base64.b64decode(message['data']).decode()} {started:.6f}")
