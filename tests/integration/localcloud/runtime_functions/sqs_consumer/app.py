"""SQS consumers that print what they process, so tests can follow them."""

import json


def report_failures(event, context):
    """Partial batch response: only the poison messages fail."""
    failures = []
    for record in event["Records"]:
        if record["body"] == "poison":
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            print(f"processed {record['body']}")
    return {"batchItemFailures": failures}


def all_or_nothing(event, context):
    bodies = [record["body"] for record in event["Records"]]
    if "poison" in bodies:
        raise ValueError("poison in batch")
    for body in bodies:
        print(f"processed {body}")


def show_event(event, context):
    print(json.dumps(event))
