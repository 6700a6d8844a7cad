"""The notifications service's models. JSON names are camelCase; Python names are
snake_case."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from petstore_shared.api_models import ApiModel, Page


class NotificationStatus(StrEnum):
    PENDING = "PENDING"
    """Stored; not delivered yet (delivery is retried)."""
    SENT = "SENT"


Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MessageText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]


class Notification(ApiModel):
    notification_id: str
    user_id: str
    subject: str
    message: str
    order_id: str | None = None
    event_type: str | None = Field(
        default=None, description="The event it tells about; absent for custom notifications."
    )
    status: NotificationStatus
    created_at: datetime
    sent_at: datetime | None = None
    template: str = Field(default="notification", exclude=True)
    """The e-mail template it is written in (`notifications/templates/`)."""
    fields: dict[str, str] = Field(default_factory=dict, exclude=True)
    """What the template fills in: the order's pet, quantity, amount..."""


class CustomNotificationRequest(ApiModel):
    user_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    subject: Subject
    message: MessageText


class NotificationPage(Page[Notification]):
    pass
