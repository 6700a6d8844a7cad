"""Environment of the notifications functions."""

from __future__ import annotations

from pydantic import Field

from petstore_shared.settings import EnvironmentSettings


class NotificationsSettings(EnvironmentSettings):
    notifications_table_name: str = Field(alias="NOTIFICATIONS_TABLE_NAME", min_length=1)


class EmailSettings(EnvironmentSettings):
    sender_email: str = Field(default="", alias="SENDER_EMAIL")
    """The SES identity e-mails are sent from; empty: no e-mail is sent."""
    configuration_set: str = Field(default="", alias="EMAIL_CONFIGURATION_SET")
    user_pool_id: str = Field(default="", alias="USER_POOL_ID")
