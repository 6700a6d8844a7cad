"""An SNS subscription of a Lambda function (`Events: Type: SNS`, or an
AWS::SNS::Subscription with Protocol lambda), as the template describes it.

The emulator cannot invoke a function, so the subscription it holds delivers, with the
template's filter policy and scope, to a delivery queue of the local cloud's own
(`localcloud.event_sources.delivery_queue`), whose poller invokes the function
asynchronously with Lambda's SNS event, as SNS does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localcloud.cloudformation.intrinsics import cfn_string
from localcloud.cloudformation.provisioning.context import ProvisionContext, Resource
from localcloud.event_sources import properties
from localcloud.event_sources.delivery_queue import create_delivery_queue
from localcloud.model import Stack

SOURCE = "sns"
DELIVERY_ATTRIBUTES = ("FilterPolicy", "FilterPolicyScope")
"""The subscription attributes SNS applies before it invokes the function."""
IGNORED_ATTRIBUTES = {
    "RawMessageDelivery": "a function always receives SNS's event, never the raw message",
    "RedrivePolicy": "a notification a function cannot take is not dead-lettered locally",
}


@dataclass(frozen=True)
class SnsSubscription:
    function: str
    """Logical id of the subscribed function."""
    topic_arn: str
    subscription_arn: str
    queue_url: str
    """The delivery queue the emulator's subscription sends to."""
    enabled: bool = True


def sns_subscriptions(stack: Stack) -> list[SnsSubscription]:
    return stack.part_of(SOURCE, list[SnsSubscription])


def subscribe_function(
    resource: Resource,
    context: ProvisionContext,
    topic_arn: str,
    subscription: dict[str, Any],
    attributes: dict[str, str],
) -> str:
    """Subscribes the function the subscription's Endpoint names; returns the subscription
    ARN (what `!Ref` gives)."""
    endpoint = cfn_string(subscription.get("Endpoint"))
    function = properties.function_named(resource, context, endpoint, "Endpoint")
    for name, reason in IGNORED_ATTRIBUTES.items():
        if name in attributes:
            context.ignore(f"{resource.label}: property {name}", reason)
    queue_url, queue_arn = create_delivery_queue(
        context, f"{context.stack.name}-{resource.logical_id}-delivery", function
    )
    arn = context.clients.sns().subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={k: v for k, v in attributes.items() if k in DELIVERY_ATTRIBUTES},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    sns_subscriptions(context.stack).append(
        SnsSubscription(
            function=function, topic_arn=topic_arn, subscription_arn=arn, queue_url=queue_url
        )
    )
    return arn


def claims(source_arn: str, mapping_properties: dict[str, Any]) -> bool:
    return source_arn.split(":")[2:3] == ["sns"]


def refuse_mapping(resource: Resource, context: ProvisionContext, new: Any) -> None:
    raise resource.error(
        "property EventSourceArn: a topic invokes a function through a subscription "
        "(Events: Type: SNS), not an event source mapping"
    )
