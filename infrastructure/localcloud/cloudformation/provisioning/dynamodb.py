"""AWS::DynamoDB::Table."""

from __future__ import annotations

from typing import Any

from localcloud.cloudformation.provisioning.context import (
    ProvisionContext,
    Provisioned,
    Resource,
    ResourceKind,
)


def create_table(resource: Resource, context: ProvisionContext) -> Provisioned:
    name = resource.physical_name(context.stack.name, "TableName")
    client = context.clients.dynamodb()
    with context.calling_emulator(resource):
        try:
            table = client.create_table(**_table_request(resource, name))["TableDescription"]
            created = True
        except client.exceptions.ResourceInUseException:
            table = client.describe_table(TableName=name)["Table"]
            created = False
        ttl = resource.properties.get("TimeToLiveSpecification")
        if created and ttl:
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={
                    "AttributeName": ttl["AttributeName"],
                    "Enabled": resource.boolean(
                        ttl.get("Enabled", False), "TimeToLiveSpecification.Enabled"
                    ),
                },
            )
    attributes = {"Arn": table["TableArn"]}
    if "LatestStreamArn" in table:
        attributes["StreamArn"] = table["LatestStreamArn"]
    return Provisioned(ref=name, attributes=attributes)


def _table_request(resource: Resource, name: str) -> dict[str, Any]:
    properties = resource.properties
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": properties.get("AttributeDefinitions", []),
        "KeySchema": properties.get("KeySchema", []),
        "BillingMode": properties.get("BillingMode", "PROVISIONED"),
    }
    if "ProvisionedThroughput" in properties:
        request["ProvisionedThroughput"] = _throughput(properties["ProvisionedThroughput"])
    if properties.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [
            _with_throughput(index) for index in properties["GlobalSecondaryIndexes"]
        ]
    if properties.get("LocalSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = properties["LocalSecondaryIndexes"]
    stream = properties.get("StreamSpecification")
    if stream:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    return request


def _with_throughput(index: dict[str, Any]) -> dict[str, Any]:
    if "ProvisionedThroughput" not in index:
        return index
    return {**index, "ProvisionedThroughput": _throughput(index["ProvisionedThroughput"])}


def _throughput(throughput: dict[str, Any]) -> dict[str, int]:
    return {key: int(value) for key, value in throughput.items()}


KINDS = {
    "AWS::DynamoDB::Table": ResourceKind(
        create=create_table,
        properties=frozenset(
            {
                "TableName",
                "AttributeDefinitions",
                "KeySchema",
                "BillingMode",
                "ProvisionedThroughput",
                "GlobalSecondaryIndexes",
                "LocalSecondaryIndexes",
                "StreamSpecification",
                "TimeToLiveSpecification",
            }
        ),
        ignored_properties={
            "SSESpecification": "the emulator does not encrypt",
            "Tags": "tags have no local effect",
            "PointInTimeRecoverySpecification": "no backups are kept locally",
            "DeletionProtectionEnabled": "local tables are never deleted by provisioning",
            "ContributorInsightsSpecification": "no Contributor Insights locally",
            "TableClass": "storage classes differ only in price",
            "ResourcePolicy": "IAM is not enforced locally",
            "OnDemandThroughput": "no throughput limits locally",
            "WarmThroughput": "no throughput limits locally",
        },
    )
}
