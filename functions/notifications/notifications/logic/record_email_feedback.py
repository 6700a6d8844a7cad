"""What SES reports about sent e-mail (through the configuration set's event destination):
an address that bounced for good or complained is not e-mailed again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from notifications.dal.email_deliveries import EmailDeliveries


def record_email_feedback(body: str, *, deliveries: EmailDeliveries) -> list[str]:
    """Mark the report's addresses not deliverable; the addresses marked. A transient
    bounce (a full mailbox) marks nothing: the next e-mail may arrive."""
    report: dict[str, Any] = json.loads(body)
    marked = []
    for address, reason in _undeliverable(report):
        deliveries.mark_undeliverable(address, reason, datetime.now(UTC))
        marked.append(address)
    return marked


def _undeliverable(report: dict[str, Any]) -> Iterator[tuple[str, str]]:
    # Configuration-set events say eventType; identity notifications say notificationType.
    kind = report.get("eventType") or report.get("notificationType")
    if kind == "Bounce":
        bounce = report.get("bounce", {})
        if bounce.get("bounceType") == "Permanent":
            reason = f"bounced ({bounce.get('bounceSubType', 'General')})"
            for recipient in bounce.get("bouncedRecipients", []):
                yield recipient["emailAddress"], reason
    elif kind == "Complaint":
        for recipient in report.get("complaint", {}).get("complainedRecipients", []):
            yield recipient["emailAddress"], "complained"
