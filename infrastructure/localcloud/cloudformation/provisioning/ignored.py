"""Resource types with no local effect. They are not created, but `!Ref` and `!GetAtt`
on them still give values of the right shape, so templates that refer to them resolve."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from localcloud.cloudformation.intrinsics import ACCOUNT_ID, cfn_string
from localcloud.cloudformation.provisioning.api import stable_id
from localcloud.cloudformation.provisioning.context import ProvisionContext, Provisioned, Resource
from localcloud.cloudformation.provisioning.functions import function_arn

Reference = Callable[[Resource, ProvisionContext], Provisioned]
"""What `!Ref`/`!GetAtt` give; the resource's properties are unresolved."""

_IAM = "IAM is not enforced locally"


@dataclass(frozen=True)
class IgnoredKind:
    reason: str
    reference: Reference


def _resolved(resource: Resource, context: ProvisionContext, name: str) -> str:
    value = context.resolver.resolve(resource.properties.get(name), resource.label, name)
    return cfn_string(value) if value is not None else ""


def _role(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = _resolved(resource, context, "RoleName") or f"{context.stack.name}-{resource.logical_id}"
    path = _resolved(resource, context, "Path") or "/"
    role_id = "AROA" + stable_id(context.stack.name, resource.logical_id).upper()
    arn = f"arn:{context.resolver.pseudo['AWS::Partition']}:iam::{ACCOUNT_ID}:role{path}{name}"
    return Provisioned(ref=name, attributes={"Arn": arn, "RoleId": role_id})


def _managed_policy(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = (
        _resolved(resource, context, "ManagedPolicyName")
        or f"{context.stack.name}-{resource.logical_id}"
    )
    arn = f"arn:{context.resolver.pseudo['AWS::Partition']}:iam::{ACCOUNT_ID}:policy/{name}"
    return Provisioned(ref=arn, attributes={"PolicyArn": arn})


def _named_after_logical_id(resource: Resource, context: ProvisionContext) -> Provisioned:
    return Provisioned(ref=f"{context.stack.name}-{resource.logical_id}")


def _version(resource: Resource, context: ProvisionContext) -> Provisioned:
    function = function_arn(context, _resolved(resource, context, "FunctionName"))
    return Provisioned(ref=f"{function}:1", attributes={"Version": "1", "FunctionArn": function})


def _alias(resource: Resource, context: ProvisionContext) -> Provisioned:
    function = function_arn(context, _resolved(resource, context, "FunctionName"))
    alias = f"{function}:{_resolved(resource, context, 'Name')}"
    return Provisioned(ref=alias, attributes={"AliasArn": alias})


IGNORED_KINDS = {
    "AWS::IAM::Role": IgnoredKind(_IAM, _role),
    "AWS::IAM::Policy": IgnoredKind(_IAM, _named_after_logical_id),
    "AWS::IAM::ManagedPolicy": IgnoredKind(_IAM, _managed_policy),
    "AWS::Lambda::Permission": IgnoredKind(
        "every caller may invoke every function locally", _named_after_logical_id
    ),
    "AWS::SQS::QueuePolicy": IgnoredKind(
        "queue policies are not enforced locally", _named_after_logical_id
    ),
    "AWS::SNS::TopicPolicy": IgnoredKind(
        "topic policies are not enforced locally", _named_after_logical_id
    ),
    "AWS::Lambda::Version": IgnoredKind(
        "the local runtime always runs the code in the function's folder", _version
    ),
    "AWS::Lambda::Alias": IgnoredKind("an alias invokes its function itself locally", _alias),
    "AWS::ApiGateway::Account": IgnoredKind(
        "an account-wide API Gateway setting (the role it logs to CloudWatch with)",
        _named_after_logical_id,
    ),
    "AWS::SES::ConfigurationSetEventDestination": IgnoredKind(
        "the emulator's SES delivers every e-mail and reports no bounces or complaints",
        _named_after_logical_id,
    ),
}
