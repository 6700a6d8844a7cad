"""DynamoDB stream consumers that print what they receive, one line per batch."""

import json

seen_flaky = set()


def show_batch(event, context):
    print(json.dumps({"records": event["Records"]}))


def fail_on_poison(event, context):
    """Fails every batch holding an item whose `poison` attribute is set."""
    ids = [record["dynamodb"]["Keys"]["id"]["S"] for record in event["Records"]]
    print(json.dumps({"batch": ids}))
    for record in event["Records"]:
        if "poison" in record["dynamodb"].get("NewImage", {}):
            raise ValueError(f"poison item {record['dynamodb']['Keys']['id']['S']}")


def fail_flaky_once(event, context):
    """Reports the first `flaky` item as failed the first time it is seen."""
    ids = [record["dynamodb"]["Keys"]["id"]["S"] for record in event["Records"]]
    print(json.dumps({"batch": ids}))
    for record in event["Records"]:
        sequence_number = record["dynamodb"]["SequenceNumber"]
        if "flaky" in record["dynamodb"]["NewImage"] and sequence_number not in seen_flaky:
            seen_flaky.add(sequence_number)
            return {"batchItemFailures": [{"itemIdentifier": sequence_number}]}
    return {"batchItemFailures": []}


def show_sizes(event, context):
    """Prints the batch's item ids and the event's size, not the images: the tests that
    use it write large items."""
    ids = [record["dynamodb"]["Keys"]["id"]["S"] for record in event["Records"]]
    print(json.dumps({"batch": ids, "event_bytes": len(json.dumps(event))}))
