"""Environment of the orders functions."""

from __future__ import annotations

from pydantic import Field

from petstore_shared.settings import EnvironmentSettings


class OrdersSettings(EnvironmentSettings):
    orders_table_name: str = Field(alias="ORDERS_TABLE_NAME", min_length=1)
