"""Environment of the payments functions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from petstore_shared.settings import EnvironmentSettings


class PaymentsSettings(EnvironmentSettings):
    payments_table_name: str = Field(alias="PAYMENTS_TABLE_NAME", min_length=1)


class PaymentProviderSettings(EnvironmentSettings):
    payment_provider: Literal["simulator"] = Field(default="simulator", alias="PAYMENT_PROVIDER")
    payment_provider_timeout_s: float = Field(
        default=1.0, gt=0, le=3, alias="PAYMENT_PROVIDER_TIMEOUT_S"
    )
    """How long one provider call may take: a small share of the consumer's 10 s."""


class ChargeRetrySettings(EnvironmentSettings):
    charge_retries_queue_url: str = Field(alias="CHARGE_RETRIES_QUEUE_URL", min_length=1)
