"""AWS::SQS::Queue, AWS::SNS::Topic and AWS::SNS::Subscription (to SQS; to a Lambda
function through `localcloud.event_sources.sns`; e-mail ones are made, but nothing is
delivered to them)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError

from localcloud.cloudformation.intrinsics import cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)
from localcloud.event_sources.sns.subscription import subscribe_function

_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "MaximumMessageSize",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedrivePolicy",
    "RedriveAllowPolicy",
)
_QUEUE_EXISTS_CODES = ("QueueAlreadyExists", "QueueNameExists")
_SUBSCRIPTION_ATTRIBUTES = (
    "FilterPolicyScope",
    "FilterPolicy",
    "RawMessageDelivery",
    "RedrivePolicy",
)
_UNDELIVERED_PROTOCOLS = frozenset({"email", "email-json"})
"""Made in the emulator, listed by ListSubscriptions, but nobody receives what they are sent."""
_NO_EMAIL = "the subscription exists in the emulated SNS, but no e-mail leaves the machine"
_ENCRYPTION = "the emulator does not encrypt"
_TAGS = "tags have no local effect"


def _attribute_text(value: Any) -> str:
    """An SQS/SNS attribute: JSON documents serialised, scalars as CloudFormation prints them."""
    return json.dumps(value) if isinstance(value, dict | list) else cfn_string(value)


def create_queue(resource: Resource, context: ProvisionContext) -> Provisioned:
    fifo = resource.flag("FifoQueue")
    name = resource.physical_name(context.stack.name, "QueueName", ".fifo" if fifo else "")
    attributes = {
        key: _attribute_text(resource.properties[key])
        for key in _QUEUE_ATTRIBUTES
        if key in resource.properties
    }
    sqs = context.clients.sqs()
    with context.calling_emulator(resource):
        try:
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]  # type: ignore[arg-type]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in _QUEUE_EXISTS_CODES:
                raise
            url = _update_existing_queue(context, name, attributes)
    arn = _queue_arn(context, url)
    context.queue_urls[arn] = url
    return Provisioned(ref=url, attributes={"Arn": arn, "QueueName": name, "QueueUrl": url})


def _queue_arn(context: ProvisionContext, url: str) -> str:
    """A queue URL ends in /<account>/<name> (AWS, moto and LocalStack alike), which saves
    asking the emulator for the ARN."""
    account, name = urlsplit(url).path.rstrip("/").split("/")[-2:]
    partition = context.resolver.pseudo["AWS::Partition"]
    return f"arn:{partition}:sqs:{context.stack.region}:{account}:{name}"


def _update_existing_queue(context: ProvisionContext, name: str, attributes: dict[str, str]) -> str:
    sqs = context.clients.sqs()
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    changeable = {key: value for key, value in attributes.items() if key != "FifoQueue"}
    if changeable:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=changeable)  # type: ignore[arg-type]
    return url


def create_topic(resource: Resource, context: ProvisionContext) -> Provisioned:
    fifo = resource.flag("FifoTopic")
    name = resource.physical_name(context.stack.name, "TopicName", ".fifo" if fifo else "")
    attributes = {"FifoTopic": "true"} if fifo else {}
    for key in ("DisplayName", "ContentBasedDeduplication"):
        if key in resource.properties:
            attributes[key] = _attribute_text(resource.properties[key])
    with context.calling_emulator(resource):
        arn = context.clients.sns().create_topic(Name=name, Attributes=attributes)["TopicArn"]
        for index, inline in enumerate(resource.properties.get("Subscription", [])):
            _subscribe(resource, context, arn, inline, {}, f"Subscription[{index}]")
    return Provisioned(ref=arn, attributes={"TopicArn": arn, "TopicName": name})


def create_subscription(resource: Resource, context: ProvisionContext) -> Provisioned:
    properties = resource.properties
    attributes = {
        key: _attribute_text(properties[key])
        for key in _SUBSCRIPTION_ATTRIBUTES
        if key in properties
    }
    with context.calling_emulator(resource):
        arn = _subscribe(resource, context, properties.get("TopicArn"), properties, attributes, "")
    return Provisioned(ref=arn)


def _subscribe(
    resource: Resource,
    context: ProvisionContext,
    topic_arn: Any,
    subscription: dict[str, Any],
    attributes: dict[str, str],
    path: str,
) -> str:
    protocol = subscription.get("Protocol")
    where = f"{path}.Protocol" if path else "Protocol"
    if protocol == "lambda":
        return subscribe_function(
            resource, context, cfn_string(topic_arn), subscription, attributes
        )
    if protocol in _UNDELIVERED_PROTOCOLS:
        context.ignore(f"{resource.label}: property {where} {protocol}", _NO_EMAIL)
    elif protocol != "sqs":
        raise resource.error(
            f"property {where}: only sqs, lambda and e-mail subscriptions are made locally, "
            f"not {protocol!r}"
        )
    response = context.clients.sns().subscribe(
        TopicArn=cfn_string(topic_arn),
        Protocol=str(protocol),
        Endpoint=cfn_string(subscription.get("Endpoint")),
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )
    return response["SubscriptionArn"]


KINDS = {
    "AWS::SQS::Queue": ResourceKind(
        create=create_queue,
        properties=frozenset({"QueueName", *_QUEUE_ATTRIBUTES}),
        ignored_properties={
            "KmsMasterKeyId": _ENCRYPTION,
            "KmsDataKeyReusePeriodSeconds": _ENCRYPTION,
            "SqsManagedSseEnabled": _ENCRYPTION,
            "Tags": _TAGS,
        },
    ),
    "AWS::SNS::Topic": ResourceKind(
        create=create_topic,
        properties=frozenset(
            {"TopicName", "DisplayName", "FifoTopic", "ContentBasedDeduplication", "Subscription"}
        ),
        ignored_properties={
            "KmsMasterKeyId": _ENCRYPTION,
            "Tags": _TAGS,
            "DataProtectionPolicy": "no message data protection locally",
            "TracingConfig": "no X-Ray locally",
            "ArchivePolicy": "no message archive locally",
            "DeliveryStatusLogging": "no delivery status logs locally",
            "SignatureVersion": "local messages are not signed",
            "FifoThroughputScope": "no throughput limits locally",
        },
    ),
    "AWS::SNS::Subscription": ResourceKind(
        create=create_subscription,
        properties=frozenset({"TopicArn", "Protocol", "Endpoint", *_SUBSCRIPTION_ATTRIBUTES}),
        ignored_properties={
            "Region": "every local resource lives in the stack's region",
            "DeliveryPolicy": "applies to HTTP endpoints only",
            "ReplayPolicy": "no message archive locally",
        },
    ),
}
