"""Environment of the payments functions."""

from __future__ import annotations

from pydantic import Field

from petstore_shared.settings import EnvironmentSettings


class PaymentsSettings(EnvironmentSettings):
    payments_table_name: str = Field(alias="PAYMENTS_TABLE_NAME", min_length=1)
