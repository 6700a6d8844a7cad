"""Lambda's SNS event, made from the notification SNS delivers to an SQS subscriber (the
emulator's signed envelope): the same message, id, timestamp and signature, under the
field names Lambda's event uses, and the unsubscribe link naming the function's
subscription."""

from __future__ import annotations

from typing import Any

_RENAMED = {"SigningCertURL": "SigningCertUrl", "UnsubscribeURL": "UnsubscribeUrl"}
_FIELDS = (
    "Type",
    "MessageId",
    "TopicArn",
    "Subject",
    "Message",
    "Timestamp",
    "SignatureVersion",
    "Signature",
    "SigningCertUrl",
    "UnsubscribeUrl",
    "MessageAttributes",
)


def sns_event(envelope: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """One notification, as Lambda invokes a subscribed function with it."""
    named = {_RENAMED.get(key, key): value for key, value in envelope.items()}
    named.setdefault("Subject", None)
    named.setdefault("MessageAttributes", {})
    region = subscription_arn.split(":")[3]
    named["UnsubscribeUrl"] = (
        f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription_arn}"
    )
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {key: named.get(key) for key in _FIELDS},
            }
        ]
    }
