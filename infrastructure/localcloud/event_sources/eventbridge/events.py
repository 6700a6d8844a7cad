"""What a schedule invokes its function with: the target's constant Input when it has one,
else the scheduled event EventBridge sends."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from localcloud.event_sources.eventbridge.provisioning import ScheduledInvocation


def scheduled_event(
    invocation: ScheduledInvocation, fired_at: datetime, account_id: str, region: str
) -> Any:
    if invocation.input is not None:
        return json.loads(invocation.input)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": invocation.event_source,
        "account": account_id,
        "time": fired_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [invocation.schedule_arn],
        # EventBridge Scheduler's default notification carries its detail as a string.
        "detail": "{}" if invocation.event_source == "aws.scheduler" else {},
    }
