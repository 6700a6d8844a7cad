"""A custom resource provider that answers as its Outcome property says."""

import json
import urllib.request


def handler(event, context):
    properties = event["ResourceProperties"]
    if properties["Outcome"] == "CRASH":
        raise RuntimeError("the provider crashed before answering")
    words = " ".join(properties["Words"])
    body = {
        "Status": properties["Outcome"],
        "Reason": "the provider was told to fail",
        "PhysicalResourceId": f"greeting-{event['LogicalResourceId']}",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"Message": f"{words} x{properties['Repeat']}", "Request": json.dumps(event)},
    }
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        event["ResponseURL"], data=data, headers={"Content-Type": ""}, method="PUT"
    )
    with urllib.request.urlopen(request, timeout=5):
        pass
