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


def report_invalid(event, context):
    """Processes the batch, then answers a partial batch response Lambda cannot read:
    an empty itemIdentifier for each poison message."""
    failures = []
    for record in event["Records"]:
        if record["body"] == "poison":
            failures.append({"itemIdentifier": ""})
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


def meet(event, context):
    """Each batch signs in at the barrier file its body names, then waits up to the
    seconds it names for a second batch to sign in: 'met' when two run at once."""
    import time
    from pathlib import Path

    (record,) = event["Records"]
    barrier, name, seconds = record["body"].split("|")
    with open(barrier, "a") as signed:
        signed.write(name + "\n")
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        if len(Path(barrier).read_text().split()) >= 2:
            print(f"met {name}")
            return
        time.sleep(0.01)
    print(f"alone {name}")


def show_sizes(event, context):
    """Prints the batch's message tags (a body's text before '|') and the event's size,
    not the bodies: the tests that use it send large messages."""
    tags = [record["body"].split("|", 1)[0] for record in event["Records"]]
    print(json.dumps({"tags": tags, "event_bytes": len(json.dumps(event))}))
