"""Environment of the notifications functions."""

from __future__ import annotations

from pydantic import Field

from petstore_shared.settings import EnvironmentSettings


class NotificationsSettings(EnvironmentSettings):
    notifications_table_name: str = Field(alias="NOTIFICATIONS_TABLE_NAME", min_length=1)
