"""A DynamoDB table with a stream, keyed on one string attribute `pk`, for the tests of
the emulator's streams."""

from __future__ import annotations

import uuid
from typing import Any


def new_stream_table(dynamodb: Any, prefix: str, view_type: str = "NEW_IMAGE") -> tuple[str, str]:
    """(name, stream ARN) of a new on-demand table named `prefix`-<random>."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    description = dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view_type},
    )["TableDescription"]
    return name, str(description["LatestStreamArn"])
