"""Environment of the payments functions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from petstore_shared.settings import EnvironmentSettings


class PaymentsSettings(EnvironmentSettings):
    payments_table_name: str = Field(alias="PAYMENTS_TABLE_NAME", min_length=1)


class PaymentProviderSettings(EnvironmentSettings):
    payment_provider: Literal["simulator"] = Field(default="simulator", alias="PAYMENT_PROVIDER")
