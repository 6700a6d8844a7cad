"""AWS::SES::EmailIdentity, AWS::SES::ConfigurationSet and its SNS event destinations, in
the emulator's SES.

An identity made here counts as verified at once: the emulator sends no verification
e-mail. The e-mail sent through it stays in the emulator, where `petstore mailbox` reads
it; none leaves the machine. E-mail to the SES mailbox simulator's bounce and complaint
addresses comes back to the configuration set's SNS event destination, as on AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from localcloud.cloudformation.intrinsics import cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)

_EXISTS = frozenset(
    {
        "AlreadyExistsException",
        "ConfigurationSetAlreadyExistsException",  # moto's answer for a configuration set
        "EventDestinationAlreadyExists",
    }
)
_NOTHING_LEAVES = "no e-mail leaves the machine locally"


def create_email_identity(resource: Resource, context: ProvisionContext) -> Provisioned:
    identity = cfn_string(resource.properties.get("EmailIdentity"))
    if not identity:
        raise resource.error("property EmailIdentity is required")
    request: dict[str, Any] = {"EmailIdentity": identity}
    attributes = resource.properties.get("ConfigurationSetAttributes") or {}
    if attributes.get("ConfigurationSetName"):
        request["ConfigurationSetName"] = cfn_string(attributes["ConfigurationSetName"])
    with context.calling_emulator(resource):
        ses = context.clients.client("sesv2")
        _create_unless_exists(lambda: ses.create_email_identity(**request))
    return Provisioned(ref=identity)


def create_configuration_set(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = resource.physical_name(context.stack.name, "Name")
    with context.calling_emulator(resource):
        ses = context.clients.client("sesv2")
        _create_unless_exists(lambda: ses.create_configuration_set(ConfigurationSetName=name))
    return Provisioned(ref=name)


def create_event_destination(resource: Resource, context: ProvisionContext) -> Provisioned:
    """A configuration set's SNS event destination: the emulator publishes the mailbox
    simulator's bounces and complaints to it (`emulator/patches/ses_mailbox_simulator.py`)."""
    set_name = cfn_string(resource.properties.get("ConfigurationSetName"))
    destination = resource.properties.get("EventDestination") or {}
    name = cfn_string(destination.get("Name")) or resource.logical_id
    topic = cfn_string((destination.get("SnsDestination") or {}).get("TopicARN"))
    if not set_name or not topic:
        raise resource.error(
            "ConfigurationSetName and EventDestination.SnsDestination.TopicARN are required "
            "locally (only SNS event destinations are emulated)"
        )
    request = {
        "Name": name,
        "Enabled": bool(destination.get("Enabled", False)),
        "MatchingEventTypes": [
            cfn_string(kind) for kind in destination.get("MatchingEventTypes") or []
        ],
        "SNSDestination": {"TopicARN": topic},
    }
    with context.calling_emulator(resource):
        ses = context.clients.client("ses")
        _create_unless_exists(
            lambda: ses.create_configuration_set_event_destination(
                ConfigurationSetName=set_name, EventDestination=request
            )
        )
    return Provisioned(ref=name)


def _create_unless_exists(create: Callable[[], Any]) -> None:
    """Provisioning again finds what it made before."""
    try:
        create()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in _EXISTS:
            raise


KINDS = {
    "AWS::SES::EmailIdentity": ResourceKind(
        create=create_email_identity,
        properties=frozenset({"EmailIdentity", "ConfigurationSetAttributes"}),
        ignored_properties={
            "DkimAttributes": _NOTHING_LEAVES,
            "DkimSigningAttributes": _NOTHING_LEAVES,
            "FeedbackAttributes": "bounces and complaints are not forwarded by e-mail locally",
            "MailFromAttributes": _NOTHING_LEAVES,
        },
    ),
    "AWS::SES::ConfigurationSet": ResourceKind(
        create=create_configuration_set,
        properties=frozenset({"Name"}),
        ignored_properties={
            "SuppressionOptions": "the emulator's SES keeps no suppression list",
            "DeliveryOptions": _NOTHING_LEAVES,
            "ReputationOptions": "no sending reputation locally",
            "SendingOptions": "sending is always on locally",
            "TrackingOptions": "no open or click tracking locally",
            "VdmOptions": "no Virtual Deliverability Manager locally",
        },
    ),
    "AWS::SES::ConfigurationSetEventDestination": ResourceKind(
        create=create_event_destination,
        properties=frozenset({"ConfigurationSetName", "EventDestination"}),
    ),
}
