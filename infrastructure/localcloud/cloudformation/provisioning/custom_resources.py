"""Lambda-backed custom resources (`AWS::CloudFormation::CustomResource` and any
`Custom::*` type), run as CloudFormation runs them: the ServiceToken's function is
invoked with a Create request whose ResponseURL is a pre-signed S3 PUT URL (a bucket in
the emulator, named as CloudFormation's own response buckets are), and the resource is
what the function PUTs there: SUCCESS gives `!Ref` its PhysicalResourceId and
`!GetAtt` its Data; FAILED fails provisioning with its Reason.

Locally the function runs synchronously, bounded by its own Timeout; one that ends
without answering fails provisioning at once (CloudFormation would wait out the
resource's ServiceTimeout). Every provisioning is a new stack's Create: nothing is
asked to Update or Delete.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from localcloud.cloudformation.intrinsics import cfn_string
from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)
from localcloud.model import InvocationResult

GENERIC_TYPE = "AWS::CloudFormation::CustomResource"
CUSTOM_PREFIX = "Custom::"
RESPONSE_URL_EXPIRY_S = 7200
"""CloudFormation's pre-signed response URLs are valid for two hours."""
MAX_RESPONSE_BYTES = 4096


def is_custom_resource(kind_name: str) -> bool:
    return kind_name == GENERIC_TYPE or kind_name.startswith(CUSTOM_PREFIX)


def create_custom_resource(resource: Resource, context: ProvisionContext) -> Provisioned:
    function = _service_function(resource, context)
    if context.run_function is None:
        raise resource.error("custom resources need the local cloud to run their function")
    bucket = _response_bucket(context)
    request_id = str(uuid.uuid4())
    stack_id = cfn_string(context.resolver.pseudo["AWS::StackId"])
    key = f"{stack_id}|{resource.logical_id}|{request_id}"
    request = {
        "RequestType": "Create",
        "RequestId": request_id,
        "ResponseURL": _presigned_put_url(context, bucket, key),
        "ResourceType": resource.type,
        "LogicalResourceId": resource.logical_id,
        "StackId": stack_id,
        "ResourceProperties": as_sent(resource.properties),
    }
    result = context.run_function(context.stack, function, request)
    response = _response(resource, context, bucket, key, result)
    _check_echoes(resource, response, request)
    if response.get("Status") == "FAILED":
        reason = response.get("Reason") or "the function answered FAILED without a Reason"
        raise resource.error(f"the custom resource failed: {reason}")
    if response.get("Status") != "SUCCESS":
        raise resource.error(f"Status {response.get('Status')!r} is neither SUCCESS nor FAILED")
    physical_id = response.get("PhysicalResourceId")
    if not isinstance(physical_id, str) or not physical_id:
        raise resource.error("the response has no PhysicalResourceId")
    data = response.get("Data") or {}
    if not isinstance(data, dict):
        raise resource.error("the response's Data is not a JSON object")
    return Provisioned(ref=physical_id, attributes=dict(data))


def as_sent(value: Any) -> Any:
    """Properties as CloudFormation hands them to a custom resource: every number and
    boolean becomes its text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        return {key: as_sent(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_sent(item) for item in value]
    return value


def _service_function(resource: Resource, context: ProvisionContext) -> str:
    """The logical id of the stack's function that the ServiceToken names."""
    token = cfn_string(resource.properties.get("ServiceToken", ""))
    if not token:
        raise resource.error("property ServiceToken is required")
    for logical_id, spec in context.stack.functions.items():
        if token in (spec.arn, spec.name):
            return logical_id
    raise resource.error(
        f"property ServiceToken: {token!r} is not a function of this stack (only "
        "Lambda-backed custom resources whose function the template declares run locally)"
    )


def _response_bucket(context: ProvisionContext) -> str:
    """CloudFormation's response bucket of the region, made in the emulator if missing."""
    region = context.stack.region
    bucket = f"cloudformation-custom-resource-response-{region.replace('-', '')}"
    s3 = context.clients.client("s3")
    location = {} if region == "us-east-1" else {"LocationConstraint": region}
    try:
        s3.create_bucket(
            Bucket=bucket, **({"CreateBucketConfiguration": location} if location else {})
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
            raise
    return bucket


def _presigned_put_url(context: ProvisionContext, bucket: str, key: str) -> str:
    s3 = context.clients.client("s3")
    url: str = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=RESPONSE_URL_EXPIRY_S
    )
    return url


def _response(
    resource: Resource,
    context: ProvisionContext,
    bucket: str,
    key: str,
    result: InvocationResult,
) -> dict[str, Any]:
    s3 = context.clients.client("s3")
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError:
        ended = "" if result.ok else f" ({result.error_type}: {result.error_message})"
        raise resource.error(
            f"its function ended without answering on the ResponseURL{ended}: "
            "CloudFormation would wait out the ServiceTimeout, then fail"
        ) from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise resource.error(f"the response is {len(body)} bytes; at most 4096 are read")
    try:
        response = json.loads(body)
    except ValueError:
        raise resource.error(f"the response is not JSON: {body[:200]!r}") from None
    if not isinstance(response, dict):
        raise resource.error("the response is not a JSON object")
    return response


def _check_echoes(
    resource: Resource, response: Mapping[str, Any], request: Mapping[str, Any]
) -> None:
    """StackId, RequestId and LogicalResourceId must be the request's, verbatim."""
    for name in ("StackId", "RequestId", "LogicalResourceId"):
        if response.get(name) != request[name]:
            raise resource.error(
                f"the response's {name} is {response.get(name)!r}, not the request's "
                f"{request[name]!r}"
            )


KIND = ResourceKind(
    create=create_custom_resource,
    properties=frozenset(),
    accepts_any_property=True,
)
