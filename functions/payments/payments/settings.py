"""Environment of the payments functions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from petstore_shared.settings import EnvironmentSettings


class PaymentsSettings(EnvironmentSettings):
    payments_table_name: str = Field(alias="PAYMENTS_TABLE_NAME", min_length=1)


class PaymentProviderSettings(EnvironmentSettings):
    payment_provider: Literal["simulator"] = Field(default="simulator", alias="PAYMENT_PROVIDER")
    payment_provider_timeout_s: float = Field(
        default=1.0, gt=0, le=3, alias="PAYMENT_PROVIDER_TIMEOUT_S"
    )
    """How long one provider call may take: a small share of the consumer's 10 s."""


def _comma_separated(value: object) -> object:
    return value.split(",") if isinstance(value, str) else value


Delay = Annotated[int, Field(ge=0, le=900)]
"""Whole seconds, as SQS delays a message: at most 15 minutes."""
RETRY_DELAYS_S = (1, 2, 4, 8, 16)
"""Seconds before provider call 2, 3, ... of an unanswered charge: about half a minute
from the first call to provider_unavailable."""


class ChargeRetrySettings(EnvironmentSettings):
    charge_retries_queue_url: str = Field(alias="CHARGE_RETRIES_QUEUE_URL", min_length=1)
    charge_retry_delays_s: Annotated[
        tuple[Delay, Delay, Delay, Delay, Delay], BeforeValidator(_comma_separated)
    ] = Field(default=RETRY_DELAYS_S, alias="CHARGE_RETRY_DELAYS_S")
    """The template's ChargeRetryDelays, e.g. "1,2,4,8,16": one delay before each call
    after the first, up to the sixth and last (charge_order.MAX_PROVIDER_ATTEMPTS)."""
